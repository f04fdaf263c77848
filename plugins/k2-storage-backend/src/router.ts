import { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import { createStorageRouter } from './routes/contract';
import { volumeRoutes } from './routes/volumes';
import { VolumeService } from './volumes/VolumeService';

/**
 * The Storage API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  volumes: VolumeService;
}): Promise<express.Router> {
  const router = createStorageRouter();
  volumeRoutes(router, options);
  return router;
}
