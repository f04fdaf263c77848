import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { StatsService } from './StatsService';

/** Incident statistics of a service or a team. Thin: the contract bounds `days`. */
export function statsRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; stats: StatsService },
) {
  const { stats } = options;
  const caller = callerOf(options.httpAuth);
  const entity = (
    kind: string,
    params: { namespace: string; name: string },
  ) => ({ kind, namespace: params.namespace, name: params.name });

  router.get('/services/:namespace/:name/stats', async (req, res) => {
    res.json(
      await stats.service(
        entity('component', req.params),
        req.query.days,
        await caller(req),
      ),
    );
  });

  router.get('/teams/:namespace/:name/stats', async (req, res) => {
    res.json(
      await stats.team(
        entity('group', req.params),
        req.query.days,
        await caller(req),
      ),
    );
  });
}
