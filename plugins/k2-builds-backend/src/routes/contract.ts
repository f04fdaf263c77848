import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Builds router: every request validated against the OpenAPI document. */
export type BuildsRouter = ApiRouter<typeof spec>;

/** A router that answers 400 to every request breaking the contract, before any route runs. */
export function createBuildsRouter(): BuildsRouter {
  return createK2ApiRouter<typeof spec>(spec);
}
