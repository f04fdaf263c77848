import { ApiRouter } from '@backstage/backend-openapi-utils';
import { createK2ApiRouter } from '@internal/plugin-k2-node';
import { spec } from '../schema/openapi.generated';

/** The Storage router: every request validated against the OpenAPI document. */
export type StorageRouter = ApiRouter<typeof spec>;

/** A router that answers 400 to every request breaking the contract, naming the field. */
export function createStorageRouter(): StorageRouter {
  return createK2ApiRouter<typeof spec>(spec, { bodyLimit: '16kb' });
}
