import { mockServices } from '@backstage/backend-test-utils';
import { K2ClusterAccess, K2ClusterRegistry } from '@internal/plugin-k2-node';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { liveState } from './liveState';

jest.setTimeout(90_000);

const labels = (name: string) => ({
  'k2.io/middleware': name,
  'k2.io/environment': 'test',
  'app.kubernetes.io/managed-by': 'k2',
});

function statefulSet(name: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'payments', labels: labels(name) },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: { 'k2.io/middleware': name } },
      template: {
        metadata: { labels: labels(name) },
        spec: { containers: [{ name: 'main', image }] },
      },
    },
  };
}

describe('liveState, from the watch caches of a sandbox cluster', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-1',
      tokens: ['token'],
      timeScale: 0.05,
      bookmarkIntervalMs: 200,
    });
    await cluster.listen(0);
    access = new K2ClusterAccess({
      registry: new K2ClusterRegistry([
        {
          name: 'test-1',
          url: cluster.url,
          serviceAccountToken: 'token',
          environments: [{ name: 'test', weight: 1 }],
          skipTLSVerify: false,
          configKey: 'clusters.test-1',
        },
      ]),
      logger: mockServices.logger.mock(),
    });
    access.start();
    await access.waitForSync(10_000);
    await api(cluster).post('/api/v1/namespaces', {
      metadata: { name: 'payments' },
    });
  });

  afterAll(async () => {
    await access?.stop();
    await cluster?.stop();
  });

  const state = (name: string) =>
    liveState(access.cache('test-1'), 'payments', name);

  it('is creating before its StatefulSet is seen, then ready with every replica', async () => {
    expect(state('cache')).toEqual({ state: 'creating' });
    await api(cluster).post(
      '/apis/apps/v1/namespaces/payments/statefulsets',
      statefulSet('cache', 'redis:7.2'),
    );
    const ready = await poll('cache ready', () => {
      const s = state('cache');
      return s.state === 'ready' && s;
    });
    expect(ready).toEqual({
      state: 'ready',
      replicas: { desired: 1, ready: 1 },
    });
  });

  it('is degraded with the pod’s reason when its image cannot be pulled', async () => {
    await api(cluster).post(
      '/apis/apps/v1/namespaces/payments/statefulsets',
      statefulSet('broken', 'x:1-pullerror'),
    );
    const degraded = await poll('broken degraded', () => {
      const s = state('broken');
      return s.state === 'degraded' && s;
    });
    expect(degraded.reason).toMatch(
      /^pod broken-0: (ErrImagePull|ImagePullBackOff)/,
    );
    expect(degraded.replicas).toEqual({ desired: 1, ready: 0 });
    // The other instance is not affected.
    expect(state('cache').state).toBe('ready');
  });
});
