import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { IncidentService } from './incidents/IncidentService';
import { incidentRoutes } from './incidents/routes';
import { createAlertsRouter } from './routes/contract';

/**
 * The Alerts API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  incidents: IncidentService;
}): Promise<express.Router> {
  const router = createAlertsRouter();
  incidentRoutes(router, options);
  return router;
}
