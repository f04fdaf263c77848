import { createApiRef } from '@backstage/frontend-plugin-api';
import { K2MiddlewareStoreClient } from '@internal/plugin-k2-middleware-store-common';

/**
 * The Middleware store API as the App Store page and the Middleware tab use it:
 * exactly the shared, OpenAPI-typed `K2MiddlewareStoreClient`, so the page, the tab,
 * other plugins and tests speak one contract.
 */
export type K2MiddlewareStoreApi = Pick<
  K2MiddlewareStoreClient,
  | 'getTemplates'
  | 'getTemplate'
  | 'getEnvironments'
  | 'getInstances'
  | 'getServiceInstances'
  | 'createInstance'
  | 'getInstance'
  | 'deleteInstance'
  | 'getConnection'
  | 'approveInstance'
  | 'rejectInstance'
  | 'renewInstance'
  | 'resizeInstance'
  | 'upgradeInstance'
  | 'restoreInstance'
  | 'bindInstance'
  | 'unbindInstance'
>;

export const k2MiddlewareStoreApiRef = createApiRef<K2MiddlewareStoreApi>({
  id: 'plugin.k2-middleware-store.api',
});
