import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Deploy router: every request validated against the OpenAPI document. */
export type DeployRouter = ApiRouter<typeof spec>;

/**
 * A router that answers 400 to every request breaking the contract, before any route
 * runs, with a message naming the parameter or field.
 */
export function createDeployRouter(): DeployRouter {
  return createK2ApiRouter<typeof spec>(spec, { bodyLimit: '1mb' });
}
