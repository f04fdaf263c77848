import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { K2ServiceRuntime } from '@internal/plugin-k2-common';
import { CONSISTENCY_CHECK_USER_AGENT } from '@internal/plugin-k2-node';
import {
  SandboxCluster,
  seedRunningDeployment,
} from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import { useK2DeployTestBed } from './__testUtils__/testBackend';
import { k2DeployPlugin } from './plugin';

jest.setTimeout(60_000);

const service: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: {
      'k2.io/environments': 'test,prod',
      'k2.io/namespace': 'shop',
      'backstage.io/kubernetes-id': 'checkout',
    },
  },
  spec: {
    type: 'service',
    owner: 'group:default/shop-team',
    lifecycle: 'production',
  },
};

describe('GET /api/k2-deploy/services/:namespace/:name/runtime', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test', 'prod-a', 'prod-b'],
    timeScale: 0.05,
  });
  const { clusters } = bed;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  async function start(
    permission:
      | AuthorizeResult.ALLOW
      | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
  ) {
    backend = await startTestBackend({
      features: [
        k2DeployPlugin,
        catalogServiceMock.factory({ entities: [service] }),
        // A database the test bed closes after the file (the default one stays open,
        // its pool's timer keeping the Jest worker alive).
        mockServices.database.factory({ knex: bed.newDatabase() }),
        mockServices.permissions.factory({ result: permission }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: clusters.map(c => ({
                    name: c.options.name,
                    url: c.url,
                    authProvider: 'serviceAccount',
                    serviceAccountToken: c.tokens[0],
                  })),
                },
              ],
            },
            k2: {
              clusterAccess: {
                silentWatchTimeout: { seconds: 2 },
                backoff: {
                  initial: { milliseconds: 100 },
                  max: { seconds: 1 },
                },
              },
              environments: [
                { name: 'test', clusters: [{ name: 'test' }] },
                {
                  name: 'prod',
                  clusters: [
                    { name: 'prod-a', weight: 60 },
                    { name: 'prod-b', weight: 40 },
                  ],
                },
              ],
            },
          },
        }),
      ],
    });
  }

  beforeAll(async () => {
    const [test, prodA, prodB] = clusters;
    const seed = (
      cluster: SandboxCluster,
      name: string,
      namespace: string,
      replicas: number,
    ) =>
      seedRunningDeployment(cluster, {
        namespace,
        name,
        replicas,
        image: `registry.k2.local/shop/${name}:1.4.2`,
        labels: { 'backstage.io/kubernetes-id': name },
      });
    seed(test, 'checkout', 'shop', 1);
    seed(prodA, 'checkout', 'shop', 3);
    seed(prodB, 'checkout', 'shop', 2);
    // Not this service, or not in its namespace: never part of its view.
    seed(prodA, 'cart', 'shop', 2);
    seed(prodA, 'checkout', 'sandbox-experiments', 1);
  });

  afterEach(async () => {
    await backend?.stop();
  });

  async function runtime(): Promise<K2ServiceRuntime> {
    const res = await request(backend.server).get(
      '/api/k2-deploy/services/default/checkout/runtime',
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  async function synced() {
    return poll('every cluster synced', async () => {
      const view = await runtime();
      return view.environments
        .flatMap(e => e.clusters)
        .every(c => c.health.status === 'ok')
        ? view
        : undefined;
    });
  }

  it('returns workloads, pods and health for every cluster of every environment', async () => {
    await start();
    const view = await synced();
    expect(view).toMatchObject({
      entityRef: 'component:default/checkout',
      kubernetesId: 'checkout',
      problems: [],
    });
    expect(
      view.environments.map(e => ({
        name: e.name,
        namespace: e.namespace,
        clusters: e.clusters.map(c => [c.cluster, c.weight, c.pods.length]),
      })),
    ).toEqual([
      { name: 'test', namespace: 'shop', clusters: [['test', 1, 1]] },
      {
        name: 'prod',
        namespace: 'shop',
        clusters: [
          ['prod-a', 60, 3],
          ['prod-b', 40, 2],
        ],
      },
    ]);
    const prodA = view.environments[1].clusters[0];
    expect(prodA.health).toMatchObject({ status: 'ok', stale: false });
    expect(prodA.workloads).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'checkout',
        namespace: 'shop',
        images: ['registry.k2.local/shop/checkout:1.4.2'],
        replicas: { desired: 3, updated: 3, ready: 3, available: 3 },
        rollout: { state: 'complete', message: '3 replicas available' },
        revision: '1',
      }),
    ]);
    for (const pod of prodA.pods) {
      expect(pod).toMatchObject({
        namespace: 'shop',
        phase: 'Running',
        ready: true,
        containers: { ready: 1, total: 1 },
        restarts: 0,
        workload: 'checkout',
        images: ['registry.k2.local/shop/checkout:1.4.2'],
        terminating: false,
      });
      expect(pod.node).toMatch(/^prod-a-worker-\d+$/);
      expect(pod.ip).toMatch(/^10\./);
    }
  });

  it('follows a broken rollout live: progressing, the crashing pod and its warnings', async () => {
    await start();
    await synced();
    const [test] = clusters;
    const res = await api(test).mergePatch(
      '/apis/apps/v1/namespaces/shop/deployments/checkout',
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'checkout',
                  image: 'registry.k2.local/shop/checkout:1.5.0-crashloop',
                },
              ],
            },
          },
        },
      },
    );
    expect(res.status).toBe(200);
    const view = await poll('the crash loop in the view', async () => {
      const v = await runtime();
      const cluster = v.environments[0].clusters[0];
      return cluster.pods.some(p => p.reason === 'CrashLoopBackOff') &&
        cluster.warnings.some(w => w.reason === 'BackOff')
        ? cluster
        : undefined;
    });
    expect(view.workloads[0].rollout.state).toBe('progressing');
    expect(view.warnings[0]).toMatchObject({
      namespace: 'shop',
      object: expect.stringMatching(/^Pod\/checkout-/),
      reason: 'BackOff',
    });
    expect(view.pods.length).toBeGreaterThanOrEqual(1);
  });

  it('serves last-known data marked stale while a cluster is unreachable', async () => {
    await start();
    await synced();
    const [, , prodB] = clusters;
    await api(prodB).post('/sandbox/restart', { downSeconds: 3 });
    const stale = await poll('prod-b stale', async () => {
      const cluster = (await runtime()).environments[1].clusters[1];
      return cluster.health.stale ? cluster : undefined;
    });
    expect(stale.health.status).toBe('degraded');
    expect(stale.pods).toHaveLength(2);
    await poll('prod-b back', async () => {
      const cluster = (await runtime()).environments[1].clusters[1];
      return cluster.health.status === 'ok';
    });
  });

  it('answers page views from the cache: no API server calls', async () => {
    await start();
    await synced();
    for (const c of clusters) c.counters.reset();
    for (let i = 0; i < 25; i++) await runtime();
    for (const c of clusters) {
      expect({
        cluster: c.options.name,
        // Background consistency checks of the caches are not page views.
        list:
          c.counters.total('list') -
          c.counters.byUserAgent(CONSISTENCY_CHECK_USER_AGENT, 'list'),
        get: c.counters.total('get'),
      }).toEqual({
        cluster: c.options.name,
        list: 0,
        get: 0,
      });
    }
  });

  it('rejects bad names and unknown services', async () => {
    await start();
    const bad = await request(backend.server).get(
      '/api/k2-deploy/services/default/not%20a%20name/runtime',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Path parameter 'name'/);
    const missing = await request(backend.server).get(
      '/api/k2-deploy/services/default/nope/runtime',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/component:default\/nope/);
  });

  it('refuses readers a policy denies', async () => {
    await start(AuthorizeResult.DENY);
    const denied = await request(backend.server).get(
      '/api/k2-deploy/services/default/checkout/runtime',
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.name).toBe('NotAllowedError');
  });
});
