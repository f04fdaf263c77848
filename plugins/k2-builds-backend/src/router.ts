import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { BuildService } from './builds/BuildService';
import { buildRoutes } from './routes/builds';
import { createBuildsRouter } from './routes/contract';
import { webhookRoutes } from './routes/webhooks';
import { PushWebhookReceiver } from './webhooks/PushWebhookReceiver';

/**
 * The Builds API, as `src/schema/openapi.yaml` describes it: every request but the push
 * webhook's (read raw for its signature) is validated against that document before a
 * route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  builds: BuildService;
  webhooks: PushWebhookReceiver;
}): Promise<express.Router> {
  const router = Router();
  router.use(webhookRoutes(options));
  const api = createBuildsRouter();
  buildRoutes(api, options);
  router.use(api);
  return router;
}
