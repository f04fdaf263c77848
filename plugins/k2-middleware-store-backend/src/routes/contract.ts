import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Middleware store router: every request validated against the OpenAPI document. */
export type MiddlewareStoreRouter = ApiRouter<typeof spec>;

/** A router that answers 400 to every request breaking the contract, before any route runs. */
export function createMiddlewareStoreRouter(): MiddlewareStoreRouter {
  return createK2ApiRouter<typeof spec>(spec);
}
