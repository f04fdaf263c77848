import {
  BackendFeature,
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  DAVE,
  OTHER_TEAM,
  OWNER_GROUP,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import express from 'express';
import Router from 'express-promise-router';
import knexFactory from 'knex';
import { k2StoragePlugin } from '../plugin';
import type { K2DeployMountUse } from '../volumes/DeployMounts';

/** The test users and teams, from K2's shared test helpers. */
export { ALICE, as, BOB, DAVE, OTHER_TEAM, OWNER_GROUP, serviceEntity };

/**
 * What Deploy's mounts endpoint answers, by service entity ref; a test sets it. The
 * stand-in serves `GET /services/{namespace}/{name}/mounts` as Deploy does, behind the
 * same service-to-service authentication, and remembers who asked.
 */
export class DeployMountsStandIn {
  readonly mounts = new Map<string, K2DeployMountUse[]>();
  readonly callers: string[] = [];
  /** When set, the endpoint answers 503. */
  down = false;

  plugin(): BackendFeature {
    const record = (caller: string) => this.callers.push(caller);
    const answer = (ref: string) =>
      this.down ? undefined : this.mounts.get(ref) ?? [];
    return createBackendPlugin({
      pluginId: 'k2-deploy',
      register(env) {
        env.registerInit({
          deps: {
            httpRouter: coreServices.httpRouter,
            httpAuth: coreServices.httpAuth,
          },
          async init({ httpRouter, httpAuth }) {
            const router = Router();
            router.use(express.json());
            router.get(
              '/services/:namespace/:name/mounts',
              async (req, res) => {
                const credentials = await httpAuth.credentials(req);
                record(
                  (credentials.principal as { type: string; subject?: string })
                    .subject ?? 'user',
                );
                const items = answer(
                  `component:${req.params.namespace}/${req.params.name}`,
                );
                if (!items) {
                  res.status(503).json({
                    error: { name: 'ServiceUnavailableError', message: 'down' },
                  });
                  return;
                }
                res.json({ items });
              },
            );
            httpRouter.use(router);
          },
        });
      },
    });
  }
}

/**
 * The k2-storage plugin in a K2 test backend (`startK2PluginTestBackend`: the real
 * permission backend with K2's policy, a real catalog holding `entities`, the `k2` core
 * plugin) on sandbox clusters, with a stand-in for Deploy's mounts endpoint. The plugin
 * keeps no table; its database is an unused SQLite in memory.
 */
export async function startK2StorageBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  k2: JsonObject;
  deploy: DeployMountsStandIn;
  features?: BackendFeature[];
}) {
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const backend = await startK2PluginTestBackend({
    plugin: k2StoragePlugin,
    pluginId: 'k2-storage',
    entities: options.entities,
    clusters: options.clusters,
    knex,
    k2: options.k2,
    features: [options.deploy.plugin(), ...(options.features ?? [])],
  });
  return {
    server: backend.server,
    async stop() {
      await backend.stop();
      await knex.destroy();
    },
  };
}
