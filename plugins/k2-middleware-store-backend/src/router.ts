import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { InstanceService } from './instances/InstanceService';
import { createMiddlewareStoreRouter } from './routes/contract';
import { instanceRoutes } from './routes/instances';
import { storeRoutes } from './routes/store';

/**
 * The Middleware store API, as `src/schema/openapi.yaml` describes it: every request
 * is validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  instances: InstanceService;
}): Promise<express.Router> {
  const router = createMiddlewareStoreRouter();
  storeRoutes(router, options);
  instanceRoutes(router, options);
  return router;
}
