import { BackendFeature } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import { K2Release } from '@internal/plugin-k2-common';
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
import { poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { k2DeployPlugin } from '../plugin';

/** The test users and teams, from K2's shared test helpers. */
export { ALICE, as, BOB, CAROL, DAVE, ERIN, OTHER_TEAM, serviceEntity };

/**
 * The k2-deploy plugin in a K2 test backend (`startK2PluginTestBackend`: the real
 * permission backend with K2's policy, a real catalog holding `entities`, the `k2` core
 * plugin) on sandbox clusters and a database the caller owns, so a second backend can
 * take over from the first. The Deploy backend applies its own release conditions
 * (approvals). Resolves once the catalog serves every entity.
 */
export function startK2DeployBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  /** `k2` config besides the clusters' access settings. */
  k2: JsonObject;
  /** Further backend features, such as a stand-in for another K2 plugin. */
  features?: BackendFeature[];
}) {
  return startK2PluginTestBackend({
    plugin: k2DeployPlugin,
    pluginId: 'k2-deploy',
    ...options,
  });
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
    features?: BackendFeature[];
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
        features: backend.features,
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
