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
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import express from 'express';
import { Knex } from 'knex';
import { k2ConfigPlugin } from '../plugin';

export { ALICE, as, BOB, DAVE, OTHER_TEAM, serviceEntity };

/** One entry of the Deploy backend's `GET /services/{namespace}/{name}/mounts`. */
export interface MountUse {
  environment: string;
  kind: 'volume' | 'config';
  name: string;
  version?: number;
  object?: string;
  releases: Array<{ id: string; number: number; current: boolean }>;
}

/**
 * The Deploy backend's mounts endpoint as its contract describes it, answering what the
 * test sets per service ref (`component:default/basket`), so a test decides which
 * releases mount what without running releases. Requests must be authenticated, as
 * the real one's are; `calls` counts them.
 */
export function deployMountsStand(): {
  feature: BackendFeature;
  set(service: string, uses: MountUse[]): void;
  /** Answers 503 from now on (true) or the mounts again (false). */
  failing(fail: boolean): void;
  calls: () => number;
} {
  const uses = new Map<string, MountUse[]>();
  let calls = 0;
  let fail = false;
  const feature = createBackendPlugin({
    pluginId: 'k2-deploy',
    register(env) {
      env.registerInit({
        deps: {
          httpRouter: coreServices.httpRouter,
          httpAuth: coreServices.httpAuth,
        },
        async init({ httpRouter, httpAuth }) {
          const router = express.Router();
          router.get('/services/:namespace/:name/mounts', async (req, res) => {
            await httpAuth.credentials(req, { allow: ['user', 'service'] });
            calls += 1;
            if (fail) {
              res.status(503).json({
                error: { name: 'ServiceUnavailableError', message: 'down' },
              });
              return;
            }
            const ref = `component:${req.params.namespace}/${req.params.name}`;
            res.json({ items: uses.get(ref) ?? [] });
          });
          httpRouter.use(router);
        },
      });
    },
  });
  return {
    feature,
    set: (service, list) => uses.set(service, list),
    failing: value => {
      fail = value;
    },
    calls: () => calls,
  };
}

/**
 * The k2-config plugin in a K2 test backend (`startK2PluginTestBackend`: the real
 * permission backend with K2's policy, a real catalog holding `entities`, the `k2`
 * core plugin) on sandbox clusters and a database the caller owns.
 */
export function startK2ConfigBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  k2: JsonObject;
  features?: BackendFeature[];
}) {
  return startK2PluginTestBackend({
    plugin: k2ConfigPlugin,
    pluginId: 'k2-config',
    ...options,
  });
}
