import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  accessTo,
  expectCacheMatchesList,
  seedTwoServices,
  startSandbox,
} from './__testUtils__/sandbox';
import { K2ClusterAccess } from './K2ClusterAccess';
import { CONSISTENCY_CHECK_USER_AGENT } from './Reflector';

jest.setTimeout(90_000);

const podNames = (access: K2ClusterAccess, service: string) =>
  access
    .cache('alpha')
    .byService('pods', service)
    .map(p => p.metadata.name)
    .sort();

describe('K2ClusterAccess against the sandbox cluster', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;

  beforeEach(async () => {
    cluster = await startSandbox();
    seedTwoServices(cluster);
    access = accessTo([cluster]);
    access.start();
    await access.waitForSync(10_000);
  });

  afterEach(async () => {
    await access.stop();
    await cluster.stop();
  });

  it('lists every watched resource, indexes by service and follows changes', async () => {
    expect(access.health()).toEqual([
      expect.objectContaining({
        cluster: 'alpha',
        status: 'ok',
        stale: false,
        pendingResources: [],
      }),
    ]);
    const cache = access.cache('alpha');
    expect(podNames(access, 'svc-a')).toHaveLength(3);
    expect(podNames(access, 'svc-b')).toHaveLength(2);
    expect(cache.byService('deployments', 'svc-a')).toHaveLength(1);
    expect(cache.byService('services', 'svc-b')).toHaveLength(1);
    expect(cache.store('nodes').size).toBe(3);
    await expectCacheMatchesList(access, cluster);

    // A new service released through the API shows up as its pods start...
    const seen: string[] = [];
    const unsubscribe = access.subscribe(change => {
      if (change.resource === 'pods' && change.type === 'ADDED') {
        seen.push(change.object.metadata.name);
      }
    });
    const client = api(cluster);
    const created = await client.post(
      '/apis/apps/v1/namespaces/shop/deployments',
      {
        metadata: {
          name: 'svc-c',
          labels: { 'backstage.io/kubernetes-id': 'svc-c' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'svc-c' } },
          template: {
            metadata: {
              labels: { app: 'svc-c', 'backstage.io/kubernetes-id': 'svc-c' },
            },
            spec: {
              containers: [
                { name: 'app', image: 'registry.k2.local/shop/svc-c:1' },
              ],
            },
          },
        },
      },
    );
    expect(created.status).toBe(201);
    await poll(
      'svc-c pods in the cache',
      () => podNames(access, 'svc-c').length === 2,
    );
    await poll('svc-c pod events in the cache', () =>
      cache
        .byService('pods', 'svc-c')
        .every(p => cache.eventsFor('Pod', 'shop', p.metadata.name).length > 0),
    );

    // Subscribers (the release engine, instance history) hear about each new pod.
    expect(seen.sort()).toEqual(podNames(access, 'svc-c'));
    unsubscribe();

    // ...and leaves the cache when it is deleted.
    await client.delete('/apis/apps/v1/namespaces/shop/deployments/svc-b');
    await poll(
      'svc-b gone from the cache',
      () => podNames(access, 'svc-b').length === 0,
    );
    expect(cache.byService('deployments', 'svc-b')).toEqual([]);
    await expectCacheMatchesList(access, cluster);
  });

  it('keeps trimmed objects: no managedFields, no last-applied annotation', async () => {
    const applied = await access.apply('alpha', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'svc-a-files',
        namespace: 'shop',
        labels: {
          'app.kubernetes.io/managed-by': 'k2',
          'backstage.io/kubernetes-id': 'svc-a',
        },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}',
          'k2.io/note': 'kept',
        },
      },
      data: { 'app.properties': 'a=1' },
    });
    // The API server tracks K2 as the field manager...
    expect(applied.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'k2', operation: 'Apply' }),
    ]);
    // ...and the cache drops what nobody reads.
    const [cached] = await poll('the config map in the cache', () => {
      const found = access.cache('alpha').byService('configmaps', 'svc-a');
      return found.length ? found : undefined;
    });
    expect(cached.metadata.managedFields).toBeUndefined();
    expect(cached.metadata.annotations).toEqual({ 'k2.io/note': 'kept' });
    expect(cached.data).toEqual({ 'app.properties': 'a=1' });
  });

  it("caches only config files' Secrets, and never their data", async () => {
    const secret = (name: string, labels: Record<string, string>) =>
      access.apply('alpha', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: 'shop', labels },
        immutable: true,
        data: {
          'db.properties': Buffer.from('password=s3cret').toString('base64'),
        },
      });
    await secret('svc-a-env', { 'k2.io/service': 'svc-a' });
    await secret('svc-a-db-properties-5c9d7f2k4m', {
      'k2.io/service': 'svc-a',
      'k2.io/config-file': 'db.properties',
    });
    const [cached] = await poll("the config file's Secret in the cache", () => {
      const found = access.cache('alpha').byService('secrets', 'svc-a');
      return found.length ? found : undefined;
    });
    expect(cached.metadata.name).toBe('svc-a-db-properties-5c9d7f2k4m');
    expect(cached.metadata.labels).toMatchObject({
      'k2.io/config-file': 'db.properties',
    });
    expect(cached.data).toBeUndefined();
    expect(
      JSON.stringify(access.cache('alpha').store('secrets').list()),
    ).not.toContain(Buffer.from('password=s3cret').toString('base64'));
    expect(
      access.cache('alpha').store('secrets').get('shop', 'svc-a-env'),
    ).toBeUndefined();
  });

  it('applies with optimistic concurrency and reports conflicts and invalid objects', async () => {
    const configMap = (
      data: Record<string, string>,
      resourceVersion?: string,
    ) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'svc-a-env',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'k2' },
        ...(resourceVersion ? { resourceVersion } : {}),
      },
      data,
    });
    const first = await access.apply('alpha', configMap({ a: '1' }));
    const second = await access.apply(
      'alpha',
      configMap({ a: '2' }, first.metadata.resourceVersion),
    );
    expect(second.data).toEqual({ a: '2' });
    // Applying on top of a version somebody else already replaced is refused.
    await expect(
      access.apply(
        'alpha',
        configMap({ a: '3' }, first.metadata.resourceVersion),
      ),
    ).rejects.toThrow(ConflictError);
    const live = await api(cluster).get(
      '/api/v1/namespaces/shop/configmaps/svc-a-env',
    );
    expect(live.body.data).toEqual({ a: '2' });

    await expect(
      access.apply('alpha', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'Not_A_Name', namespace: 'shop' },
      }),
    ).rejects.toThrow(InputError);
  });

  it('reads a node’s kubelet summary through the node proxy, and names a node that does not exist', async () => {
    const steer = await api(cluster).put('/sandbox/disk', {
      node: 'alpha-worker-2',
      usedPercent: 87.5,
    });
    expect(steer.status).toBe(200);
    const summary = await access.nodeSummary('alpha', 'alpha-worker-2');
    expect(summary.node.nodeName).toBe('alpha-worker-2');
    expect(summary.node.fs).toMatchObject({
      capacityBytes: 200 * 2 ** 30,
      usedBytes: 175 * 2 ** 30,
      availableBytes: 25 * 2 ** 30,
    });
    expect(summary.node.runtime?.imageFs?.capacityBytes).toBe(200 * 2 ** 30);
    await expect(access.nodeSummary('alpha', 'nowhere')).rejects.toThrow(
      NotFoundError,
    );
  });

  it('serves page views without API calls in steady state', async () => {
    // Short watch sessions: they end and resume from the last resourceVersion, never
    // with a new LIST.
    await access.stop();
    access = accessTo([cluster], { watchSessionSeconds: 1 });
    access.start();
    await access.waitForSync(10_000);
    cluster.counters.reset();
    for (let i = 0; i < 1000; i++)
      access.cache('alpha').byService('pods', 'svc-a');
    await new Promise(r => setTimeout(r, 3_500));
    // The only LISTs are the consistency checks (one `limit=1` per type and interval).
    expect(cluster.counters.total('list')).toBe(
      cluster.counters.byUserAgent(CONSISTENCY_CHECK_USER_AGENT, 'list'),
    );
    expect(cluster.counters.total('watch')).toBeGreaterThan(0);
    expect(access.health()[0].status).toBe('ok');
  });

  it('relists after a forced 410 and ends up equal to a fresh LIST', async () => {
    const before = access.cache('alpha').counters().pods.relists;
    cluster.counters.reset();
    const res = await api(cluster).post('/sandbox/watches/expire', {});
    expect(res.status).toBe(200);
    // A change made while the watches are expired must not be missed.
    await api(cluster).delete(
      '/apis/apps/v1/namespaces/shop/deployments/svc-b',
    );
    await poll(
      'a relist of pods',
      () => access.cache('alpha').counters().pods.relists > before,
    );
    expect(cluster.counters.total('list', 'pods')).toBeGreaterThan(0);
    await poll('svc-b gone', () => podNames(access, 'svc-b').length === 0);
    await expectCacheMatchesList(access, cluster);
    expect(access.health()[0].status).toBe('ok');
  });

  it('restarts a silently stalled watch and catches up on what it missed', async () => {
    const res = await api(cluster).post('/sandbox/faults', {
      watches: { mode: 'stall', seconds: 3 },
    });
    expect(res.status).toBe(200);
    // The stalled watches deliver nothing: this deletion is only seen after a restart.
    await api(cluster).delete(
      '/apis/apps/v1/namespaces/shop/deployments/svc-b',
    );
    const degraded = await poll('the silent watch to be noticed', () => {
      const health = access.health()[0];
      return health.status === 'degraded' ? health : undefined;
    });
    expect(degraded.stale).toBe(true);
    expect(degraded.error?.message).toMatch(/silent/);
    await poll(
      'svc-b gone after the stall',
      () => podNames(access, 'svc-b').length === 0,
    );
    await poll(
      'the cluster back to ok',
      () => access.health()[0].status === 'ok',
    );
    const restarts = Object.values(access.cache('alpha').counters()).reduce(
      (sum, c) => sum + c.watchdogRestarts,
      0,
    );
    expect(restarts).toBeGreaterThan(0);
    await expectCacheMatchesList(access, cluster);
  });

  it('serves last-known data marked stale through 30 s of API errors, and is back in sync within 10 s', async () => {
    const admin = api(cluster);
    expect(
      (
        await admin.post('/sandbox/faults', {
          errors: { code: 503, seconds: 30 },
        })
      ).status,
    ).toBe(200);
    const faultEnds = Date.now() + 30_000;
    // The open watches break, and every reconnect is answered with 503.
    await admin.post('/sandbox/watches/drop', {});

    const degraded = await poll('the cluster to show the errors', () => {
      const health = access.health()[0];
      return health.error?.message.includes('503') ? health : undefined;
    });
    expect(degraded).toMatchObject({ status: 'degraded', stale: true });
    // Last-known data is still served.
    expect(podNames(access, 'svc-a')).toHaveLength(3);

    // The cluster changes while K2 cannot see it (controllers keep running).
    const deployments = cluster.type('apps', 'deployments');
    cluster.registry.delete(deployments, 'shop', 'svc-b');
    cluster.registry.create(cluster.type('', 'configmaps'), 'shop', {
      metadata: {
        name: 'svc-a-made-during-outage',
        labels: {
          'app.kubernetes.io/managed-by': 'k2',
          'backstage.io/kubernetes-id': 'svc-a',
        },
      },
      data: { a: '1' },
    });

    await new Promise(r => setTimeout(r, faultEnds - Date.now() - 2000));
    expect(access.health()[0]).toMatchObject({
      status: 'degraded',
      stale: true,
    });
    await poll('the fault to end', () => Date.now() >= faultEnds, 5_000);
    await poll(
      'the cluster back to ok',
      () => access.health()[0].status === 'ok',
      10_000,
    );
    const recoveredIn = Date.now() - faultEnds;
    expect(recoveredIn).toBeLessThan(10_000);
    await expectCacheMatchesList(access, cluster, 10_000 - recoveredIn);
    expect(podNames(access, 'svc-b')).toEqual([]);
    expect(access.cache('alpha').byService('configmaps', 'svc-a')).toHaveLength(
      1,
    );
  });

  it('survives the API server going away and coming back', async () => {
    await api(cluster).post('/sandbox/restart', { downSeconds: 2 });
    await poll(
      'the cluster to show as degraded',
      () => access.health()[0].status === 'degraded',
    );
    await poll(
      'the cluster back to ok',
      () => access.health()[0].status === 'ok',
      15_000,
    );
    await expectCacheMatchesList(access, cluster);
    expect(access.health()[0]).toMatchObject({
      stale: false,
      error: undefined,
    });
  });
});

describe('K2ClusterAccess with several backends and unreachable clusters', () => {
  it('lets two backends watch the same cluster without interfering', async () => {
    const cluster = await startSandbox('alpha');
    seedTwoServices(cluster);
    const first = accessTo([cluster]);
    const second = accessTo([cluster]);
    first.start();
    second.start();
    try {
      await Promise.all([
        first.waitForSync(10_000),
        second.waitForSync(10_000),
      ]);
      const configMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'shared',
          namespace: 'shop',
          labels: {
            'app.kubernetes.io/managed-by': 'k2',
            'backstage.io/kubernetes-id': 'svc-a',
          },
        },
        data: { a: '1' },
      };
      // Both apply the same object under K2's field manager: no conflict, one owner.
      await first.apply('alpha', configMap);
      const again = await second.apply('alpha', configMap);
      expect(again.metadata.managedFields).toHaveLength(1);
      for (const access of [first, second]) {
        await poll(
          'the config map in both caches',
          () =>
            access.cache('alpha').byService('configmaps', 'svc-a').length === 1,
        );
      }
      // One backend stopping leaves the other watching.
      await first.stop();
      await api(cluster).delete(
        '/apis/apps/v1/namespaces/shop/deployments/svc-b',
      );
      await poll(
        'svc-b gone in the second backend',
        () => second.cache('alpha').byService('pods', 'svc-b').length === 0,
      );
      await expectCacheMatchesList(second, cluster);
    } finally {
      await first.stop();
      await second.stop();
      await cluster.stop();
    }
  });

  it('reports a cluster it cannot reach as degraded, with the error and no data', async () => {
    const access = accessTo([
      { name: 'alpha', url: 'http://127.0.0.1:9', token: 'none' },
    ]);
    access.start();
    try {
      const health = await poll('the connection error', () => {
        const h = access.health()[0];
        return h.error ? h : undefined;
      });
      expect(health).toMatchObject({
        status: 'degraded',
        stale: true,
        syncedAt: undefined,
      });
      expect(health.error?.message).toMatch(/ECONNREFUSED/);
      expect(access.cache('alpha').store('pods').size).toBe(0);
    } finally {
      await access.stop();
    }
  });
});
