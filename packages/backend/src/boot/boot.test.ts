import crypto from 'crypto';
import path from 'path';
import fs from 'fs';
import os from 'os';
import YAML from 'yaml';
import {
  repoRoot,
  startBackendProcess,
  waitFor,
} from './__testUtils__/startBackendProcess';

/**
 * The backend as people run it: a real process, real config files, a real database.
 * These catch what in-process tests cannot: config schema and merging, plugin wiring,
 * migrations of every installed plugin, and start-up validation.
 */

const token = crypto.randomBytes(24).toString('hex');
const demoLocations = YAML.parse(
  fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
).catalog.locations.map((l: { target: string }) => ({
  ...l,
  target: path.resolve(repoRoot, 'packages/backend', l.target),
}));

function commonOverride(port: number) {
  return {
    backend: {
      baseUrl: `http://127.0.0.1:${port}`,
      // The string form, as app-config.production.yaml uses it.
      listen: `127.0.0.1:${port}`,
      auth: {
        externalAccess: [
          { type: 'static', options: { token, subject: 'k2-boot-test' } },
        ],
      },
    },
    catalog: { locations: demoLocations },
  };
}

async function componentCount(baseUrl: string) {
  const res = await fetch(
    `${baseUrl}/api/catalog/entities/by-query?filter=kind=component&limit=1`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  if (!res.ok) return undefined;
  const body = (await res.json()) as { totalItems: number };
  // Wait until the demo catalog is fully processed.
  return body.totalItems >= 25 ? body.totalItems : undefined;
}

const postgresUrl = process.env.K2_TEST_POSTGRES_URL;
if (!postgresUrl && process.env.K2_REQUIRE_POSTGRES === '1') {
  throw new Error(
    'K2_TEST_POSTGRES_URL is missing and K2_REQUIRE_POSTGRES=1 says PostgreSQL must be tested; `./k2 test` sets both',
  );
}

const describeWithPostgres = postgresUrl ? describe : describe.skip;

describeWithPostgres('backend boot on PostgreSQL', () => {
  it('boots with app-config.production.yaml on PostgreSQL and serves the demo catalog', async () => {
    const pg = new URL(postgresUrl!);
    const backend = await startBackendProcess({
      configs: ['app-config.yaml', 'app-config.production.yaml'],
      override: port => ({
        ...commonOverride(port),
        backend: {
          ...commonOverride(port).backend,
          // A unique prefix keeps this run's per-plugin databases apart.
          database: { prefix: `k2boot${Date.now()}_` },
        },
      }),
      env: {
        K2_BASE_URL: 'http://127.0.0.1',
        POSTGRES_HOST: pg.hostname,
        POSTGRES_PORT: pg.port,
        POSTGRES_USER: pg.username,
        POSTGRES_PASSWORD: 'unused-with-trust-auth',
        AUTH_GITHUB_CLIENT_ID: 'boot-test',
        AUTH_GITHUB_CLIENT_SECRET: 'boot-test',
        K2_CATALOG_LOCATION: 'unused',
        K2_CLUSTER_TEST_URL: 'https://127.0.0.1:1',
        K2_CLUSTER_PROD_A_URL: 'https://127.0.0.1:2',
        K2_CLUSTER_PROD_B_URL: 'https://127.0.0.1:3',
        // K2 watches every cluster with a service account; nothing listens there, so
        // the clusters show as degraded while the portal serves.
        K2_CLUSTER_TEST_TOKEN: 'boot-test',
        K2_CLUSTER_PROD_A_TOKEN: 'boot-test',
        K2_CLUSTER_PROD_B_TOKEN: 'boot-test',
        // app-config.yaml configures no monitoring, so these are needed to boot.
        K2_PROMETHEUS_TEST_URL: 'http://127.0.0.1:4',
        K2_ALERTMANAGER_TEST_URL: 'http://127.0.0.1:5',
        K2_BLACKBOX_TEST_ADDRESS: '127.0.0.1:6',
        K2_PROMETHEUS_PROD_URL: 'http://127.0.0.1:7',
        K2_ALERTMANAGER_PROD_URL: 'http://127.0.0.1:8',
        K2_BLACKBOX_PROD_ADDRESS: '127.0.0.1:9',
      },
    });
    try {
      const components = await waitFor(backend, () =>
        componentCount(backend.baseUrl),
      );
      expect(components).toBeGreaterThanOrEqual(25);
      expect(backend.output()).toMatch(/Plugin initialization complete/);
      expect(backend.output()).toContain('app-config.production.yaml');
      // The production config really ran on PostgreSQL, not the SQLite default.
      expect(backend.output()).not.toMatch(/better-sqlite3/);
      // Development sign-in is off in production.
      const devSignIn = await fetch(
        `${backend.baseUrl}/api/auth/k2-dev/refresh`,
        {
          headers: {
            'x-k2-dev-user': 'user:default/alice',
            'x-requested-with': 'XMLHttpRequest',
          },
        },
      );
      expect(devSignIn.status).toBe(404);
    } finally {
      await backend.stop();
    }
  }, 240_000);
});

describe('backend boot', () => {
  it('boots with the development defaults on SQLite and serves the demo catalog', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-boot-sqlite-'));
    const backend = await startBackendProcess({
      configs: ['app-config.yaml'],
      override: port => ({
        ...commonOverride(port),
        backend: {
          ...commonOverride(port).backend,
          database: { connection: { directory: dataDir } },
        },
      }),
    });
    try {
      const components = await waitFor(backend, () =>
        componentCount(backend.baseUrl),
      );
      expect(components).toBeGreaterThanOrEqual(25);
      // The catalog persisted to files in the data folder.
      expect(fs.readdirSync(dataDir)).toEqual(
        expect.arrayContaining(['catalog.sqlite']),
      );
    } finally {
      await backend.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses to start when an environment names an unknown cluster, naming the key', async () => {
    const appConfig = YAML.parse(
      fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
    );
    const environments = appConfig.k2.environments;
    environments[1].clusters[1].name = 'prod-c';
    const backend = await startBackendProcess({
      configs: ['app-config.yaml'],
      override: port => ({
        ...commonOverride(port),
        backend: {
          ...commonOverride(port).backend,
          database: { connection: ':memory:' },
        },
        k2: { environments },
      }),
    });
    try {
      const code = await Promise.race([
        backend.exited,
        new Promise<'running'>(r => setTimeout(() => r('running'), 150_000)),
      ]);
      expect(code).not.toBe('running');
      expect(code).not.toBe(0);
      expect(backend.output()).toContain(
        "Invalid K2 configuration at 'k2.environments[1].clusters[1].name': unknown cluster 'prod-c'",
      );
    } finally {
      await backend.stop();
    }
  }, 240_000);
});
