import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Config router: every request validated against the OpenAPI document. */
export type ConfigRouter = ApiRouter<typeof spec>;

/**
 * A router that answers 400 to every request breaking the contract, before any route
 * runs. A body holds one content of at most 900 KiB, which JSON escaping may double;
 * a larger body is refused (413) before it is parsed.
 */
export function createConfigRouter(): ConfigRouter {
  return createK2ApiRouter<typeof spec>(spec, { bodyLimit: '2mb' });
}
