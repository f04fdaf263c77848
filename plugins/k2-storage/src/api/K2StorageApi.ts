import { createApiRef } from '@backstage/frontend-plugin-api';
import { K2StorageClient } from '@internal/plugin-k2-storage-common';

/**
 * The Storage API as the tab uses it: exactly the shared, OpenAPI-typed
 * `K2StorageClient`, so the tab, the catalog module and tests speak one contract.
 */
export type K2StorageApi = Pick<
  K2StorageClient,
  | 'getStorageClasses'
  | 'getVolumes'
  | 'createVolume'
  | 'expandVolume'
  | 'deleteVolume'
>;

export const k2StorageApiRef = createApiRef<K2StorageApi>({
  id: 'plugin.k2-storage.api',
});
