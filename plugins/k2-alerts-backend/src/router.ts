import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { ClusterChecksService } from './clusterChecks/ClusterChecksService';
import { clusterCheckRoutes } from './clusterChecks/routes';
import { IncidentService } from './incidents/IncidentService';
import { incidentRoutes } from './incidents/routes';
import { createAlertsRouter } from './routes/contract';
import { ruleRoutes } from './rules/routes';
import { RuleService } from './rules/RuleService';
import { silenceRoutes } from './silences/routes';
import { SilenceService } from './silences/SilenceService';
import { statsRoutes } from './stats/routes';
import { StatsService } from './stats/StatsService';
import { teamSettingsRoutes } from './teams/routes';
import { TeamSettingsService } from './teams/TeamSettingsService';
import { templateRoutes } from './templates/routes';
import { TemplateService } from './templates/TemplateService';

/**
 * The Alerts API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  incidents: IncidentService;
  rules: RuleService;
  templates: TemplateService;
  teamSettings: TeamSettingsService;
  silences: SilenceService;
  stats: StatsService;
  clusterChecks: ClusterChecksService;
}): Promise<express.Router> {
  const router = createAlertsRouter();
  templateRoutes(router, options);
  ruleRoutes(router, options);
  incidentRoutes(router, options);
  teamSettingsRoutes(router, options);
  silenceRoutes(router, options);
  statsRoutes(router, options);
  clusterCheckRoutes(router, options);
  return router;
}
