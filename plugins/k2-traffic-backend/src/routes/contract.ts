import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Traffic router: every request validated against the OpenAPI document. */
export type TrafficRouter = ApiRouter<typeof spec>;

/**
 * A router that answers 400 to every request breaking the contract, before any route
 * runs, with a message naming the parameter or field. Bodies are small: a site is at
 * most a few hundred members and locations, a report at most 8 KiB of error text.
 */
export function createTrafficRouter(): TrafficRouter {
  return createK2ApiRouter<typeof spec>(spec, { bodyLimit: '256kb' });
}
