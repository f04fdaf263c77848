import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { RuleService } from './RuleService';

/**
 * A service's alert rules: list, create, preview, change, delete. Thin: the contract
 * has validated every parameter and body; the service decides.
 */
export function ruleRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; rules: RuleService },
) {
  const { rules } = options;
  const caller = callerOf(options.httpAuth);
  const service = (params: { namespace: string; name: string }) => ({
    kind: 'component',
    namespace: params.namespace,
    name: params.name,
  });

  router.get('/services/:namespace/:name/rules', async (req, res) => {
    res.json(
      await rules.list(
        service(req.params),
        req.query.environment,
        await caller(req),
      ),
    );
  });

  router.post('/services/:namespace/:name/rules', async (req, res) => {
    res
      .status(201)
      .json(
        await rules.create(service(req.params), req.body, await caller(req)),
      );
  });

  router.post('/services/:namespace/:name/rules/preview', async (req, res) => {
    res.json(
      await rules.preview(service(req.params), req.body, await caller(req)),
    );
  });

  router.put('/services/:namespace/:name/rules/:id', async (req, res) => {
    res.json(
      await rules.update(
        service(req.params),
        req.params.id,
        req.body,
        await caller(req),
      ),
    );
  });

  router.delete('/services/:namespace/:name/rules/:id', async (req, res) => {
    await rules.remove(service(req.params), req.params.id, await caller(req));
    res.status(204).end();
  });
}
