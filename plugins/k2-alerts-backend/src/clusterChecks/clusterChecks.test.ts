import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  DAVE,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { k2AlertsPlugin } from '../plugin';

jest.setTimeout(180_000);

const API = '/api/k2-alerts';
const NODE = 'test-a-worker-2';
const FULL_NODE = 'test-a-worker-3';

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
const cart = serviceEntity('cart', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});

/** A Deployment of a service as K2 labels it, its pods held to nodes by a selector. */
function deployment(name: string, nodeSelector: Record<string, string>) {
  const labels = {
    'app.kubernetes.io/name': name,
    'k2.io/service': name,
    'k2.io/environment': 'test',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector,
          containers: [{ name: 'app', image: `registry.local/shop/${name}:1` }],
        },
      },
    },
  };
}

describe('Cluster checks on a sandbox cluster', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  const checks = (user: string) =>
    request(backend.server)
      .get(`${API}/clusters/checks`)
      .set('Authorization', as(user).Authorization);

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      timeScale: 0.1,
      bookmarkIntervalMs: 200,
    });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2PluginTestBackend({
      plugin: k2AlertsPlugin,
      pluginId: 'k2-alerts',
      entities: [basket, cart],
      clusters: [cluster],
      knex,
      features: [schedulerServiceFactory],
      k2: {
        serviceIndex: { refreshInterval: '1s' },
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        alerts: {
          clusterChecks: {
            pendingAfter: { seconds: 2 },
            interval: { seconds: 1 },
            diskFullPercent: 60,
          },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  async function setMemoryPressure(status: 'True' | 'False') {
    const k8s = api(cluster);
    const node = (await k8s.get(`/api/v1/nodes/${NODE}`)).body;
    node.status.conditions = node.status.conditions.map((c: any) =>
      c.type === 'MemoryPressure'
        ? {
            ...c,
            status,
            reason:
              status === 'True'
                ? 'KubeletHasInsufficientMemory'
                : 'KubeletHasSufficientMemory',
            lastTransitionTime: new Date().toISOString(),
          }
        : c,
    );
    const put = await k8s.put(`/api/v1/nodes/${NODE}/status`, node);
    expect(put.status).toBe(200);
  }

  async function fillDisk(usedPercent: number | undefined) {
    const sandbox = api(cluster);
    const steered =
      usedPercent === undefined
        ? await sandbox.delete(`/sandbox/disk?node=${FULL_NODE}`)
        : await sandbox.put('/sandbox/disk', {
            node: FULL_NODE,
            usedPercent,
          });
    expect(steered.status).toBe(200);
  }

  it('finds node pressure, a disk almost full, replicas packed on one node and pods pending too long, as incidents that resolve when cleared; only admins read them', async () => {
    const k8s = api(cluster);
    await k8s.post('/api/v1/namespaces', {
      metadata: { name: 'shop' },
    });
    for (const body of [
      deployment('basket', { 'kubernetes.io/hostname': 'test-a-worker-1' }),
      deployment('cart', { 'k2.io/pool': 'none' }),
    ]) {
      const created = await k8s.post(
        '/apis/apps/v1/namespaces/shop/deployments',
        body,
      );
      expect(created.status).toBe(201);
    }
    await setMemoryPressure('True');
    // Over the configured 60 %, under the default 85 %.
    await fillDisk(70);

    const found = await poll(
      'four findings with their incidents',
      async () => {
        const response = await checks(DAVE);
        const [test] = response.body.clusters ?? [];
        return test?.findings.length === 4 && test.incidents.length === 4
          ? test
          : undefined;
      },
      60_000,
    );
    expect(found.cluster).toBe('test-a');
    const byCheck = Object.fromEntries(
      found.findings.map((f: any) => [f.check, f]),
    );
    expect(byCheck['node-memory-pressure']).toMatchObject({
      node: NODE,
      pods: [],
    });
    expect(byCheck['node-disk-almost-full']).toMatchObject({
      node: FULL_NODE,
      pods: [],
      summary: `Node ${FULL_NODE} in cluster test-a: root filesystem 70% used (threshold 60%)`,
    });
    expect(byCheck['replicas-on-one-node']).toMatchObject({
      node: 'test-a-worker-1',
      entityRef: 'component:default/basket',
      environment: 'test',
    });
    expect(byCheck['replicas-on-one-node'].pods).toHaveLength(2);
    expect(byCheck['pod-pending']).toMatchObject({
      entityRef: 'component:default/cart',
    });
    expect(byCheck['pod-pending'].pods).toHaveLength(2);
    expect(
      found.incidents
        .map((i: any) => `${i.entityRef} ${i.ruleKey} ${i.status}`)
        .sort(),
    ).toEqual([
      'cluster:test-a cluster:node-disk-almost-full open',
      'cluster:test-a cluster:node-memory-pressure open',
      'component:default/basket cluster:replicas-on-one-node open',
      'component:default/cart cluster:pod-pending open',
    ]);

    // The service's own incidents show its cluster finding to its owners.
    const basketIncidents = await request(backend.server)
      .get(`${API}/services/default/basket/incidents`)
      .set('Authorization', as(ALICE).Authorization);
    expect(basketIncidents.status).toBe(200);
    expect(basketIncidents.body.items.map((i: any) => i.ruleKey)).toEqual([
      'cluster:replicas-on-one-node',
    ]);
    // The cluster checks themselves are for platform admins only.
    const refused = await checks(ALICE);
    expect(refused.status).toBe(403);
    expect(refused.body.error.name).toBe('NotAllowedError');

    // Cleared: the nodes recover, the services go. Every incident resolves, once.
    await setMemoryPressure('False');
    await fillDisk(undefined);
    for (const name of ['basket', 'cart']) {
      await k8s.request(
        'DELETE',
        `/apis/apps/v1/namespaces/shop/deployments/${name}`,
      );
    }
    await poll(
      'no findings and no open incidents',
      async () => {
        const [test] = (await checks(DAVE)).body.clusters ?? [];
        return test?.findings.length === 0 && test.incidents.length === 0
          ? test
          : undefined;
      },
      60_000,
    );
    // The cluster checks' incidents only: the backend's Kubernetes signals may also
    // report cart's unschedulable pod (signal:failed-scheduling), depending on when
    // their interval comes round.
    const rows = await knex('k2_alert_incidents')
      .select('entity_ref', 'rule_key', 'status')
      .where('rule_key', 'like', 'cluster:%')
      .orderBy(['entity_ref', 'rule_key']);
    expect(rows).toEqual([
      {
        entity_ref: 'cluster:test-a',
        rule_key: 'cluster:node-disk-almost-full',
        status: 'resolved',
      },
      {
        entity_ref: 'cluster:test-a',
        rule_key: 'cluster:node-memory-pressure',
        status: 'resolved',
      },
      {
        entity_ref: 'component:default/basket',
        rule_key: 'cluster:replicas-on-one-node',
        status: 'resolved',
      },
      {
        entity_ref: 'component:default/cart',
        rule_key: 'cluster:pod-pending',
        status: 'resolved',
      },
    ]);
  });
});
