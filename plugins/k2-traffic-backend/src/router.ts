import { HttpAuthService } from '@backstage/backend-plugin-api';
import { K2ActionGate } from '@internal/plugin-k2-node';
import express from 'express';
import { BundleService } from './bundles/BundleService';
import { agentRoutes } from './routes/agent';
import { clusterRoutes } from './routes/clusters';
import { createTrafficRouter } from './routes/contract';
import { siteRoutes } from './routes/sites';
import { SiteService } from './sites/SiteService';
import { TemplateRegistry } from './templates/TemplateRegistry';

/**
 * The Traffic API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  gate: K2ActionGate;
  sites: SiteService;
  bundles: BundleService;
  templates: TemplateRegistry;
  /** How long agent bundle requests are held; 25 s unless a test says otherwise. */
  longPollMs?: number;
}): Promise<express.Router> {
  const router = createTrafficRouter();
  clusterRoutes(router, options);
  siteRoutes(router, options);
  agentRoutes(router, options);
  return router;
}
