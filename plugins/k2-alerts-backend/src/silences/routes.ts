import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { SilenceService } from './SilenceService';

/**
 * A service's silences: list, create, expire. Thin: the contract has validated every
 * parameter and body; the service authorizes and asks Alertmanager.
 */
export function silenceRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; silences: SilenceService },
) {
  const { silences } = options;
  const caller = callerOf(options.httpAuth);
  const service = (params: { namespace: string; name: string }) => ({
    kind: 'component',
    namespace: params.namespace,
    name: params.name,
  });

  router.get('/services/:namespace/:name/silences', async (req, res) => {
    res.json({
      items: await silences.list(service(req.params), await caller(req)),
    });
  });

  router.post('/services/:namespace/:name/silences', async (req, res) => {
    res
      .status(201)
      .json(
        await silences.create(service(req.params), req.body, await caller(req)),
      );
  });

  router.delete('/services/:namespace/:name/silences/:id', async (req, res) => {
    await silences.expire(
      service(req.params),
      req.params.id,
      await caller(req),
    );
    res.status(204).end();
  });
}
