import { createApiRef } from '@backstage/frontend-plugin-api';
import { K2ConfigClient } from '@internal/plugin-k2-config-common';

/**
 * The Config API as the tab uses it: exactly the shared, OpenAPI-typed
 * `K2ConfigClient`, so the tab, the Deploy backend and tests speak one contract.
 */
export type K2ConfigApi = Pick<
  K2ConfigClient,
  | 'getFiles'
  | 'createFile'
  | 'getFile'
  | 'deleteFile'
  | 'getVersions'
  | 'saveVersion'
  | 'getContent'
  | 'restoreVersion'
  | 'compareVersions'
>;

export const k2ConfigApiRef = createApiRef<K2ConfigApi>({
  id: 'plugin.k2-config.api',
});
