import { HttpAuthService } from '@backstage/backend-plugin-api';
import { ServiceRuntimeService } from '../runtime/ServiceRuntimeService';
import { callerOf } from '@internal/plugin-k2-node';
import { DeployRouter } from './contract';

/** The runtime view of a service (a catalog Component) in all its clusters. */
export function runtimeRoutes(
  router: DeployRouter,
  options: { httpAuth: HttpAuthService; runtime: ServiceRuntimeService },
) {
  const { runtime } = options;
  const caller = callerOf(options.httpAuth);

  router.get('/services/:namespace/:name/runtime', async (req, res) => {
    const { namespace, name } = req.params;
    res.json(
      await runtime.getRuntime(
        { kind: 'component', namespace, name },
        await caller(req),
      ),
    );
  });
}
