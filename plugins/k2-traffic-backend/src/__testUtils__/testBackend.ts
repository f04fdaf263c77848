import { BackendFeature } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OTHER_TEAM,
  OWNER_GROUP,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { Knex } from 'knex';
import { k2TrafficPlugin } from '../plugin';

/** The test users and teams, from K2's shared test helpers. */
export {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OTHER_TEAM,
  OWNER_GROUP,
  serviceEntity,
};

/**
 * The k2-traffic plugin in a K2 test backend (`startK2PluginTestBackend`: the real
 * permission backend with K2's policy, a real catalog holding `entities`, the `k2` core
 * plugin) on sandbox clusters, whose watch caches the service resolver reads, and a
 * database the caller owns. Resolves once the catalog serves every entity.
 */
export function startK2TrafficBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  /** `k2` config besides the clusters' access settings. */
  k2: JsonObject;
  /** Further backend features, such as a catalog module under test. */
  features?: BackendFeature[];
}) {
  return startK2PluginTestBackend({
    plugin: k2TrafficPlugin,
    pluginId: 'k2-traffic',
    ...options,
  });
}
