import { BackendFeature } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  APPROVER_GROUP,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OTHER_TEAM,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { Knex } from 'knex';
import { k2MiddlewareStorePlugin } from '../plugin';

export {
  ALICE,
  APPROVER_GROUP,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OTHER_TEAM,
  serviceEntity,
};

/**
 * The k2-middleware-store plugin in a K2 test backend (`startK2PluginTestBackend`: the
 * real permission backend with K2's policy, a real catalog holding `entities`, the
 * `k2` core plugin) on sandbox clusters and a database the caller owns.
 */
export function startK2MiddlewareBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  k2: JsonObject;
  features?: BackendFeature[];
}) {
  return startK2PluginTestBackend({
    plugin: k2MiddlewareStorePlugin,
    pluginId: 'k2-middleware-store',
    ...options,
  });
}
