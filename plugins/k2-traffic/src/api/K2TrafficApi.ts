import { createApiRef } from '@backstage/frontend-plugin-api';
import { K2TrafficClient } from '@internal/plugin-k2-traffic-common';

/**
 * The Traffic API as the tab uses it: exactly the shared, OpenAPI-typed
 * `K2TrafficClient`, so the tab, the scaffolder module and tests speak one contract.
 */
export type K2TrafficApi = Pick<
  K2TrafficClient,
  | 'getTemplates'
  | 'getClusters'
  | 'getSite'
  | 'getVersions'
  | 'getVersion'
  | 'compareVersions'
  | 'publish'
  | 'rollback'
  | 'approve'
  | 'reject'
  | 'withdraw'
>;

export const k2TrafficApiRef = createApiRef<K2TrafficApi>({
  id: 'plugin.k2-traffic.api',
});
