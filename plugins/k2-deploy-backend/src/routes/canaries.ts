import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { CanaryService } from '../canaries/CanaryService';
import { DeployRouter } from './contract';

const component = (p: { namespace: string; name: string }) => ({
  kind: 'component',
  namespace: p.namespace,
  name: p.name,
});

/** Canary releases of a service in one environment; all the work is the service's. */
export function canaryRoutes(
  router: DeployRouter,
  options: { httpAuth: HttpAuthService; canaries: CanaryService },
) {
  const { canaries } = options;
  const caller = callerOf(options.httpAuth);
  const canary = '/services/:namespace/:name/environments/:environment/canary';

  router.get(canary, async (req, res) => {
    res.json(
      await canaries.get(
        component(req.params),
        req.params.environment,
        await caller(req),
      ),
    );
  });

  router.post(canary, async (req, res) => {
    res
      .status(201)
      .json(
        await canaries.start(
          component(req.params),
          req.params.environment,
          req.body,
          await caller(req),
        ),
      );
  });

  router.post(`${canary}/promote`, async (req, res) => {
    res.json(
      await canaries.promote(
        component(req.params),
        req.params.environment,
        await caller(req),
      ),
    );
  });

  router.post(`${canary}/abort`, async (req, res) => {
    res.json(
      await canaries.abort(
        component(req.params),
        req.params.environment,
        await caller(req),
      ),
    );
  });
}
