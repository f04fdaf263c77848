import { HttpAuthService } from '@backstage/backend-plugin-api';
import { callerOf } from '@internal/plugin-k2-node';
import { AlertsRouter } from '../routes/contract';
import { IncidentService } from './IncidentService';

/**
 * Incidents and alert history: a service's incidents, one incident with its alerts,
 * a service's history, a team's incidents. Thin: the contract has validated every
 * parameter; the service authorizes and reads.
 */
export function incidentRoutes(
  router: AlertsRouter,
  options: { httpAuth: HttpAuthService; incidents: IncidentService },
) {
  const { incidents } = options;
  const caller = callerOf(options.httpAuth);
  const entity = (
    kind: string,
    params: { namespace: string; name: string },
  ) => ({
    kind,
    namespace: params.namespace,
    name: params.name,
  });

  router.get('/services/:namespace/:name/incidents', async (req, res) => {
    res.json(
      await incidents.serviceIncidents(
        entity('component', req.params),
        req.query,
        await caller(req),
      ),
    );
  });

  router.get('/services/:namespace/:name/alerts', async (req, res) => {
    res.json(
      await incidents.history(
        entity('component', req.params),
        req.query,
        await caller(req),
      ),
    );
  });

  router.get('/incidents/:id', async (req, res) => {
    res.json(await incidents.incident(req.params.id, await caller(req)));
  });

  router.post('/incidents/:id/acknowledge', async (req, res) => {
    res.json(await incidents.acknowledge(req.params.id, await caller(req)));
  });

  router.post('/incidents/:id/resolve', async (req, res) => {
    res.json(await incidents.resolve(req.params.id, await caller(req)));
  });

  router.get('/teams/:namespace/:name/incidents', async (req, res) => {
    res.json(
      await incidents.teamIncidents(
        entity('group', req.params),
        req.query.status,
        await caller(req),
      ),
    );
  });
}
