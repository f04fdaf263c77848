import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import k2CorePlugin from '@internal/plugin-k2-backend';
import { inMemoryDatabaseFactory } from '@internal/plugin-k2-backend/testUtils';
import k2TrafficPlugin from '@internal/plugin-k2-traffic-backend';
import {
  SandboxCluster,
  SandboxClusterOptions,
} from '@internal/sandbox-cluster';
import fs from 'fs';
import path from 'path';

/** An Nginx cluster of the test backend, serving one environment. */
export interface TestNginxCluster {
  name: string;
  environment: string;
  hosts: string[];
  token: string;
  certificates?: Array<{ name: string; certificate: string; key: string }>;
}

/**
 * K2's default site template with its listens moved to loopback ports, as an admin's
 * template directory would: the real Nginx of a test cannot take ports 80 and 443.
 */
export function loopbackTemplates(
  dir: string,
  httpPort: number,
  httpsPort: number,
) {
  const shipped = path.join(
    path.dirname(
      require.resolve('@internal/plugin-k2-traffic-backend/package.json'),
    ),
    'templates',
  );
  const template = fs.readFileSync(
    path.join(shipped, 'default.conf.hbs'),
    'utf8',
  );
  const moved = template
    .replace(/listen 80;/g, `listen 127.0.0.1:${httpPort};`)
    .replace(/listen 443 ssl;/g, `listen 127.0.0.1:${httpsPort} ssl;`);
  if (!moved.includes(`127.0.0.1:${httpPort}`)) {
    throw new Error(`K2's default template no longer has 'listen 80;'`);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'default.conf.hbs'), moved);
  fs.copyFileSync(
    path.join(shipped, 'default.schema.json'),
    path.join(dir, 'default.schema.json'),
  );
}

const ALICE = 'user:default/alice';

/**
 * K2's real Traffic backend (with the core plugin) in a test backend, on one sandbox
 * cluster, with one service, `basket`, in every environment an Nginx cluster serves;
 * every environment is non-production with the wildcard domain `k2.example.com`.
 */
export async function startTrafficBackend(options: {
  templatesDirectory: string;
  clusters: TestNginxCluster[];
  /** Options of the sandbox cluster `test` (default: timeScale 0.1). */
  sandbox?: Omit<SandboxClusterOptions, 'name' | 'tokens'>;
}) {
  const sandbox = new SandboxCluster({
    timeScale: 0.1,
    ...options.sandbox,
    name: 'test',
    tokens: ['test-token'],
  });
  await sandbox.listen(0);
  const environments = options.clusters.map(c => c.environment);
  const basket = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'basket',
      namespace: 'default',
      annotations: {
        'backstage.io/kubernetes-id': 'basket',
        'k2.io/environments': environments.join(','),
        'k2.io/namespace': 'shop',
      },
    },
    spec: { type: 'service', owner: 'group:default/shop-team' },
  };
  const backend = await startTestBackend({
    features: [
      k2TrafficPlugin,
      k2CorePlugin,
      catalogServiceMock.factory({ entities: [basket] }),
      // Databases closed when the backend stops (the default ones stay open).
      inMemoryDatabaseFactory(),
      mockServices.rootConfig.factory({
        data: {
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'test',
                    url: sandbox.url,
                    authProvider: 'serviceAccount',
                    serviceAccountToken: 'test-token',
                  },
                ],
              },
            ],
          },
          k2: {
            environments: environments.map(name => ({
              name,
              clusters: [{ name: 'test' }],
              wildcardDomain: 'k2.example.com',
            })),
            traffic: {
              templatesDirectory: options.templatesDirectory,
              clusters: options.clusters.map(c => ({
                name: c.name,
                environments: [c.environment],
                hosts: c.hosts,
                agentToken: c.token,
                certificates: c.certificates ?? [],
              })),
            },
          },
        },
      }),
    ],
  });
  const url = `http://localhost:${backend.server.port()}`;
  const api = (p: string) => `${url}/api/k2-traffic${p}`;
  const headers = {
    authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
    'content-type': 'application/json',
  };

  return {
    /** K2's base URL, what an agent gets as --k2-url. */
    url,
    /** The sandbox cluster `test`, where basket runs in namespace `shop`. */
    sandbox,
    /** Publishes a new version of basket's site in `environment` (as its owner). */
    async publish(
      environment: string,
      site: Record<string, unknown>,
      message: string,
    ) {
      const res = await fetch(
        api(
          `/services/default/basket/environments/${environment}/site/versions`,
        ),
        { method: 'POST', headers, body: JSON.stringify({ site, message }) },
      );
      const body = await res.json();
      if (res.status !== 201) {
        throw new Error(
          `publish answered ${res.status}: ${JSON.stringify(body)}`,
        );
      }
    },
    /** What K2's /clusters says of `cluster`: its current version and `host`'s state. */
    async status(cluster: string, host: string) {
      const res = await fetch(api('/clusters'), { headers });
      const body = await res.json();
      const c = body.items.find((i: { name: string }) => i.name === cluster);
      return {
        version: c.version as string | undefined,
        host: c.hosts.find((h: { name: string }) => h.name === host) as {
          name: string;
          appliedVersion?: string;
          reportedAt?: string;
          error?: string;
          drift: boolean;
        },
      };
    },
    async stop() {
      await backend.stop();
      await sandbox.stop();
    },
  };
}

/** basket's site: the default template, one upstream with one loopback member. */
export function basketSite(memberPort: number, tls?: { certificate: string }) {
  return {
    template: 'default',
    ...(tls && { tls: { certificate: tls.certificate, redirectHttp: false } }),
    upstreams: [
      { name: 'app', members: [{ address: '127.0.0.1', port: memberPort }] },
    ],
    locations: [{ path: '/', upstream: 'app' }],
  };
}
