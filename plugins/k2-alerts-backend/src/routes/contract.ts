import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Alerts router: every request validated against the OpenAPI document. */
export type AlertsRouter = ApiRouter<typeof spec>;

/**
 * A router that answers 400 to every request breaking the contract, before any route
 * runs. Alertmanager batches many alerts into one webhook call, hence the larger body
 * limit.
 */
export function createAlertsRouter(): AlertsRouter {
  return createK2ApiRouter<typeof spec>(spec, { bodyLimit: '5mb' });
}
