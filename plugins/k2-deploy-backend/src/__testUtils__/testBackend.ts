import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import k2CorePlugin from '@internal/plugin-k2-backend';
import k2PolicyModule from '@internal/plugin-permission-backend-module-k2-policy';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { JsonObject } from '@backstage/types';
import { K2Release } from '@internal/plugin-k2-common';
import { poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { k2DeployPlugin } from '../plugin';

export const ALICE = 'user:default/alice'; // owner
export const BOB = 'user:default/bob'; // another team
export const CAROL = 'user:default/carol'; // release approver
export const DAVE = 'user:default/dave'; // platform admin
/** In the owning team and in the approver group. */
export const ERIN = 'user:default/erin';

/** The owning team of the test services. */
export const OWNER_GROUP = 'group:default/shop-team';
/** Bob's team, which owns none of the test services unless a test says so. */
export const OTHER_TEAM = 'group:default/other-team';
/** The approver group of the test environments that need approval. */
export const APPROVER_GROUP = 'group:default/release-approvers';
/** `k2.platformAdminGroup` of the test backend. */
export const PLATFORM_ADMIN_GROUP = 'group:default/platform-admins';

/** Each test user's ownership claims, as the sign-in resolver would give them. */
const claimsOf: Record<string, string[]> = {
  [ALICE]: [ALICE, OWNER_GROUP],
  [BOB]: [BOB, OTHER_TEAM],
  [CAROL]: [CAROL, APPROVER_GROUP],
  [DAVE]: [DAVE, PLATFORM_ADMIN_GROUP],
  [ERIN]: [ERIN, OWNER_GROUP, APPROVER_GROUP],
};

/** Request headers of a signed-in user. */
export const as = (user: string) => ({
  Authorization: `Bearer ${mockCredentials.user.token(user)}`,
});

/** A K2 service entity, owned by {@link OWNER_GROUP} unless `options.owner` says otherwise. */
export function serviceEntity(
  name: string,
  annotations: Record<string, string>,
  options?: { owner?: string },
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name, ...annotations },
    },
    spec: {
      type: 'service',
      owner: options?.owner ?? OWNER_GROUP,
      lifecycle: 'production',
    },
  };
}

/**
 * A catalog module that feeds the catalog exactly `entities` (as a provider does), so
 * the catalog's own permission rules (`isEntityOwner`) judge the entity a request names.
 */
function testEntityProvider(entities: Entity[]) {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'k2-test-entities',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'k2-test-entities',
            connect: connection =>
              connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  locationKey: 'k2-test-entities',
                  entity: {
                    ...entity,
                    metadata: {
                      ...entity.metadata,
                      annotations: {
                        [ANNOTATION_LOCATION]: 'k2-test:entities',
                        [ANNOTATION_ORIGIN_LOCATION]: 'k2-test:entities',
                        ...entity.metadata.annotations,
                      },
                    },
                  },
                })),
              }),
          });
        },
      });
    },
  });
}

/**
 * The mock auth service, except that a plugin calling another on a user's behalf says
 * so: the callee sees the user with the calling plugin as actor, as Backstage's own auth
 * service does. Without it the permission backend's calls to the catalog's and the
 * Deploy backend's `apply-conditions` endpoints are refused as direct user requests.
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    const getPluginRequestToken = auth.getPluginRequestToken.bind(auth);
    auth.getPluginRequestToken = async options => {
      const principal = options.onBehalfOf.principal as {
        type: string;
        userEntityRef: string;
        actor?: { subject: string };
      };
      if (principal.type !== 'user') return getPluginRequestToken(options);
      return {
        token: mockCredentials.user.token(principal.userEntityRef, {
          actor: principal.actor ?? { subject: `plugin:${plugin.getId()}` },
        }),
      };
    };
    return auth;
  },
});

/** How long the catalog may take to process the test entities before a test starts. */
const CATALOG_READY_TIMEOUT_MS = 30_000;

/** Waits until the catalog serves every one of `entities` (processed and stitched). */
async function waitForCatalog(baseUrl: string, entities: Entity[]) {
  const refs = entities.map(e => stringifyEntityRef(e));
  const deadline = Date.now() + CATALOG_READY_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${baseUrl}/api/catalog/entities/by-refs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${mockCredentials.service.token()}`,
      },
      body: JSON.stringify({ entityRefs: refs, fields: ['metadata.name'] }),
    });
    const body = response.ok ? await response.json() : { items: [] };
    if ((body.items as unknown[]).every(item => item !== null)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `The test catalog did not serve ${refs.join(
          ', ',
        )} within ${CATALOG_READY_TIMEOUT_MS} ms`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/**
 * The k2-deploy plugin in a test backend, on sandbox clusters and a database the
 * caller owns (so a second backend can take over from the first), with the `k2` core
 * plugin that owns the activity log.
 *
 * Every permission is decided as in production: by the real permission backend with
 * K2's policy module. Its conditional decisions are applied by the plugins that own the
 * resources: `isEntityOwner` by a real catalog backend holding `entities` (against the
 * entity the request names), release conditions (approvals) by the Deploy backend on
 * the release. Only who a user is stays a stand-in: the userInfo service gives each
 * test user the claims in `claimsOf`. K2's own reads of the entities go through a
 * catalog service mock holding the same entities, so they need not wait for processing.
 * Resolves once the catalog serves every entity.
 */
export async function startK2DeployBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  /** `k2` config besides the clusters' access settings. */
  k2: JsonObject;
}) {
  const backend = await startTestBackend({
    features: [
      k2DeployPlugin,
      // The activity log's owner, as in the real backend.
      k2CorePlugin,
      permissionPlugin,
      k2PolicyModule,
      catalogPlugin,
      testEntityProvider(options.entities),
      authWithActors,
      catalogServiceMock.factory({ entities: options.entities }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const user = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: user,
              ownershipEntityRefs: claimsOf[user] ?? [user],
            };
          },
        }),
      }),
      // Each plugin has a database of its own, as in a real backend: the Deploy
      // plugin the caller's, the others (activity log, catalog) a fresh one each.
      createServiceFactory({
        service: coreServices.database,
        deps: { plugin: coreServices.pluginMetadata },
        factory({ plugin }) {
          const client =
            plugin.getId() === 'k2-deploy'
              ? options.knex
              : knexFactory({
                  client: 'better-sqlite3',
                  connection: ':memory:',
                  useNullAsDefault: true,
                });
          return mockServices.database({ knex: client });
        },
      }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: options.clusters.map(c => ({
                  name: c.options.name,
                  url: c.url,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: c.tokens[0],
                })),
              },
            ],
          },
          k2: {
            platformAdminGroup: PLATFORM_ADMIN_GROUP,
            clusterAccess: {
              backoff: { initial: { milliseconds: 100 }, max: { seconds: 1 } },
            },
            ...options.k2,
          },
        },
      }),
    ],
  });
  try {
    await waitForCatalog(
      `http://localhost:${backend.server.port()}`,
      options.entities,
    );
  } catch (error) {
    await backend.stop();
    throw error;
  }
  return backend;
}

/**
 * A `k2.environments` entry as the tests use it: the cluster named like the
 * environment unless `clusters` says otherwise, 1 replica by default, rollouts that
 * give up after 30 s and drain for 1 s. A `production` environment's releases wait for
 * an approver of {@link APPROVER_GROUP}.
 */
export function testEnvironment(
  name: string,
  options: {
    clusters?: Array<{ name: string; weight?: number }>;
    replicas?: number;
    timeoutSeconds?: number;
    production?: boolean;
    autoRollback?: boolean;
  } = {},
): JsonObject {
  return {
    name,
    ...(options.production
      ? {
          production: true,
          approval: { required: true, approverGroup: APPROVER_GROUP },
        }
      : {}),
    clusters: options.clusters ?? [{ name }],
    defaults: { replicas: options.replicas ?? 1 },
    release: {
      timeoutSeconds: options.timeoutSeconds ?? 30,
      drainSeconds: 1,
      ...(options.autoRollback ? { autoRollback: true } : {}),
    },
  };
}

/** A Deploy backend started by {@link startK2DeployBackend}. */
export type K2DeployTestBackend = Awaited<
  ReturnType<typeof startK2DeployBackend>
>;

/** Every status a release ends in. */
const FINAL_STATUSES = [
  'succeeded',
  'failed',
  'timed-out',
  'rejected',
  'cancelled',
  'expired',
];

/**
 * The release `id` once it has ended, read through `backend`'s API as {@link BOB}
 * (anyone signed in may read releases); fails after `timeoutMs`.
 */
export function releaseFinished(
  backend: K2DeployTestBackend,
  id: string,
  timeoutMs = 60_000,
): Promise<K2Release> {
  return poll(
    `release ${id} finished`,
    async () => {
      const res = await request(backend.server)
        .get(`/api/k2-deploy/releases/${id}`)
        .set(as(BOB));
      return FINAL_STATUSES.includes(res.body.status)
        ? (res.body as K2Release)
        : undefined;
    },
    timeoutMs,
  );
}

/** A test file's sandbox clusters, Deploy database and Deploy backends. */
export interface K2DeployTestBed {
  /** The clusters, listening once the bed's `beforeAll` ran. */
  readonly clusters: SandboxCluster[];
  /** The cluster named `name`. */
  cluster(name: string): SandboxCluster;
  /** The Deploy plugin's database: SQLite in memory, or in {@link databaseFile}. */
  readonly knex: Knex;
  /** The SQLite file under `knex`, when the bed keeps its database in a file. */
  readonly databaseFile: string;
  /** The backend started last. */
  readonly backend: K2DeployTestBackend;
  /**
   * Starts a Deploy backend on the bed's clusters and on `knex` (the bed's database
   * unless given), so a second backend can take over from the first. It is stopped
   * after the file's tests unless a test stopped it.
   */
  start(options: {
    entities: Entity[];
    k2: JsonObject;
    knex?: Knex;
  }): Promise<K2DeployTestBackend>;
  /** A database of its own, SQLite in memory, destroyed after the file's tests. */
  newDatabase(): Knex;
}

/**
 * Registers `beforeAll` and `afterAll` hooks that give a test file sandbox clusters
 * (`<name>-token` as their token), a Deploy database and, when `entities` and `k2`
 * are given, a Deploy backend on them before the first test. Afterwards the backends
 * stop, then the databases, then the clusters, and the database file is removed.
 */
export function useK2DeployTestBed(options: {
  clusters: string[];
  /** Sandbox time scale; 0.1 unless given. */
  timeScale?: number;
  /** Keep the database in a file (the bed's `databaseFile`) instead of memory. */
  databaseFile?: boolean;
  /** The backend to start before the first test. */
  backend?: { entities: Entity[]; k2: JsonObject };
}): K2DeployTestBed {
  const clusters = options.clusters.map(
    name =>
      new SandboxCluster({
        name,
        tokens: [`${name}-token`],
        timeScale: options.timeScale ?? 0.1,
        bookmarkIntervalMs: 200,
      }),
  );
  const dir = options.databaseFile
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'k2-deploy-test-'))
    : undefined;
  const databases: Knex[] = [];
  const backends: K2DeployTestBackend[] = [];
  const newDatabase = (filename = ':memory:') => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
    });
    databases.push(knex);
    return knex;
  };
  const bed: K2DeployTestBed = {
    clusters,
    cluster(name) {
      const cluster = clusters.find(c => c.options.name === name);
      if (!cluster) throw new Error(`No test cluster '${name}'`);
      return cluster;
    },
    get knex() {
      return databases[0];
    },
    get databaseFile() {
      if (!dir) throw new Error('This test bed keeps its database in memory');
      return path.join(dir, 'k2-deploy.sqlite');
    },
    get backend() {
      return backends[backends.length - 1];
    },
    async start(backend) {
      const started = await startK2DeployBackend({
        entities: backend.entities,
        k2: backend.k2,
        clusters,
        knex: backend.knex ?? databases[0],
      });
      // A test may stop a backend to start another on its database.
      const stop = started.stop.bind(started);
      let stopped: Promise<void> | undefined;
      started.stop = () => (stopped ??= stop());
      backends.push(started);
      return started;
    },
    newDatabase: () => newDatabase(),
  };

  beforeAll(async () => {
    await Promise.all(clusters.map(c => c.listen(0)));
    newDatabase(dir ? bed.databaseFile : undefined);
    if (options.backend) await bed.start(options.backend);
  });

  afterAll(async () => {
    for (const backend of backends) await backend.stop();
    for (const knex of databases) await knex.destroy();
    await Promise.all(clusters.map(c => c.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  return bed;
}
