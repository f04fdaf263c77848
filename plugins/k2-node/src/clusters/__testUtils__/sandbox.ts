import { isDeepStrictEqual } from 'node:util';
import { mockServices } from '@backstage/backend-test-utils';
import {
  SandboxCluster,
  seedRunningDeployment,
} from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { K2ClusterAccess } from '../K2ClusterAccess';
import { K2ClusterRegistry } from '../K2ClusterRegistry';
import { WatchTiming } from '../Reflector';
import { KubeObject, WATCHED_RESOURCES } from '../resources';

/** Short timings so failures and recoveries show within seconds. */
export const TEST_TIMING: WatchTiming = {
  silentWatchTimeoutMs: 1_000,
  watchSessionSeconds: 20,
  backoffInitialMs: 100,
  backoffMaxMs: 2_000,
  pageSize: 7,
  requestTimeoutMs: 3_000,
  consistencyCheckIntervalMs: 1_000,
};

export async function startSandbox(name = 'alpha'): Promise<SandboxCluster> {
  const cluster = new SandboxCluster({
    name,
    tokens: [`${name}-token`],
    timeScale: 0.05,
    bookmarkIntervalMs: 200,
  });
  await cluster.listen(0);
  return cluster;
}

/** A K2ClusterAccess reading the given sandbox clusters (or plain URLs). */
export function accessTo(
  clusters: Array<
    SandboxCluster | { name: string; url: string; token: string }
  >,
  timing: Partial<WatchTiming> = {},
): K2ClusterAccess {
  const registry = new K2ClusterRegistry(
    clusters.map(c => {
      const declared =
        c instanceof SandboxCluster
          ? { name: c.options.name, url: c.url, token: c.tokens[0] }
          : c;
      return {
        name: declared.name,
        url: declared.url,
        serviceAccountToken: declared.token,
        environments: [{ name: 'test', weight: 1 }],
        skipTLSVerify: false,
        configKey: `clusters.${declared.name}`,
      };
    }),
  );
  return new K2ClusterAccess({
    registry,
    timing: { ...TEST_TIMING, ...timing },
    logger: mockServices.logger.mock(),
  });
}

/** Two services: `svc-a` (3 pods) in `shop`, `svc-b` (2 pods) in `shop`. */
export function seedTwoServices(cluster: SandboxCluster) {
  for (const [name, replicas] of [
    ['svc-a', 3],
    ['svc-b', 2],
  ] as const) {
    seedRunningDeployment(cluster, {
      namespace: 'shop',
      name,
      replicas,
      image: `registry.k2.local/shop/${name}:1.0.0`,
      labels: { 'backstage.io/kubernetes-id': name },
      service: true,
    });
  }
}

function versions(objects: KubeObject[]): Record<string, string> {
  return Object.fromEntries(
    objects
      .map(o => [
        `${o.metadata.namespace ?? ''}/${o.metadata.name}`,
        o.metadata.resourceVersion ?? '',
      ])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** `namespace/name` → resourceVersion of every object of every watched resource. */
async function listEverything(cluster: SandboxCluster) {
  const client = api(cluster);
  const result: Record<string, Record<string, string>> = {};
  for (const resource of WATCHED_RESOURCES) {
    const selector = resource.labelSelector
      ? `?labelSelector=${encodeURIComponent(resource.labelSelector)}`
      : '';
    const res = await client.get(
      `${resource.basePath}/${resource.name}${selector}`,
    );
    if (res.status !== 200) {
      throw new Error(`list ${resource.name}: ${res.status} ${res.text}`);
    }
    result[resource.name] = versions(res.body.items);
  }
  return result;
}

function cached(access: K2ClusterAccess, cluster: string) {
  const cache = access.cache(cluster);
  return Object.fromEntries(
    WATCHED_RESOURCES.map(resource => [
      resource.name,
      versions(cache.store(resource.name).list()),
    ]),
  );
}

/**
 * Waits until the cache holds exactly what a fresh LIST returns (same objects, same
 * resourceVersions: nothing missing, nothing phantom) and fails with the difference.
 */
export async function expectCacheMatchesList(
  access: K2ClusterAccess,
  cluster: SandboxCluster,
  timeoutMs = 10_000,
) {
  let last: { expected: unknown; actual: unknown } | undefined;
  try {
    await poll(
      'the cache to equal a fresh LIST',
      async () => {
        const expected = await listEverything(cluster);
        const actual = cached(access, cluster.options.name);
        last = { expected, actual };
        return isDeepStrictEqual(expected, actual);
      },
      timeoutMs,
    );
  } catch (error) {
    // Show the difference the way Jest does.
    expect(last?.actual).toEqual(last?.expected);
    throw error;
  }
}
