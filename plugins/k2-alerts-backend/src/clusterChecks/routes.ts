import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { ClusterChecksService } from './ClusterChecksService';

/** `GET /clusters/checks`: the cluster checks' findings and open incidents (admins). */
export function clusterCheckRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; clusterChecks: ClusterChecksService },
) {
  const caller = callerOf(options.httpAuth);
  router.get('/clusters/checks', async (req, res) => {
    res.json(await options.clusterChecks.read(await caller(req)));
  });
}
