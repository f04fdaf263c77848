import express from 'express';
import { createAlertsRouter } from './routes/contract';

/**
 * The Alerts API, as `src/schema/openapi.yaml` describes it: every request is
 * validated against that document before a route sees it.
 */
export async function createRouter(): Promise<express.Router> {
  const router = createAlertsRouter();
  return router;
}
