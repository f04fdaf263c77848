import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { ConfigFileService } from './files/ConfigFileService';
import { createConfigRouter } from './routes/contract';
import { fileRoutes } from './routes/files';

/**
 * The Config API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  files: ConfigFileService;
}): Promise<express.Router> {
  const router = createConfigRouter();
  fileRoutes(router, options);
  return router;
}
