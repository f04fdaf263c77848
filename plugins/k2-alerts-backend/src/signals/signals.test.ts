import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
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
const WINDOW_SECONDS = 8;

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});

/** A Deployment of basket as K2 labels it, whose containers run out of memory. */
function oomDeployment(replicas: number) {
  const labels = {
    'app.kubernetes.io/name': 'basket',
    'k2.io/service': 'basket',
    'k2.io/environment': 'test',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'basket', namespace: 'shop', labels },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'basket' } },
      template: {
        metadata: {
          labels,
          annotations: {
            'sandbox.k2.io/failure': 'oom-killed',
            'sandbox.k2.io/oom-after-seconds': '10',
          },
        },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.local/shop/basket:1',
              resources: { limits: { memory: '256Mi', cpu: '500m' } },
            },
          ],
        },
      },
    },
  };
}

describe('Kubernetes signals on a sandbox cluster', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  const server = () => request(backend.server);

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      // Ten sandbox seconds pass in one: a container is OOM-killed about every second.
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
      entities: [basket],
      clusters: [cluster],
      knex,
      // The real scheduler: the service index refreshes as in production, so the
      // signals find the service a pod's labels name.
      features: [schedulerServiceFactory],
      k2: {
        serviceIndex: { refreshInterval: '1s' },
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        alerts: {
          signals: {
            window: { seconds: WINDOW_SECONDS },
            interval: { seconds: 1 },
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

  it('turns an OOM-killed pod into exactly one alert for its service within 30 s, however many kills and events, and resolves it once they stop', async () => {
    const k8s = api(cluster);
    expect(
      (
        await k8s.post('/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'shop' },
        })
      ).status,
    ).toBe(201);
    const started = Date.now();
    expect(
      (
        await k8s.post(
          '/apis/apps/v1/namespaces/shop/deployments',
          oomDeployment(3),
        )
      ).status,
    ).toBe(201);

    const incidents = async () =>
      (
        await server()
          .get(`${API}/services/default/basket/incidents`)
          .set(as(ALICE))
      ).body.items as Array<Record<string, any>>;
    const [incident] = await poll(
      'an OOMKilled incident of basket',
      async () => {
        const items = await incidents();
        return items.length ? items : undefined;
      },
      30_000,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(30);

    // Keep killing: three pods, each killed again and again, with their events.
    const restarts = async () => {
      const pods = await k8s.get('/api/v1/namespaces/shop/pods');
      return (pods.body.items as any[]).reduce(
        (sum, pod) =>
          sum + (pod.status.containerStatuses?.[0]?.restartCount ?? 0),
        0,
      );
    };
    await poll('six OOM kills', async () => (await restarts()) >= 6, 30_000);
    const events = await k8s.get('/api/v1/namespaces/shop/events');
    expect((events.body.items as unknown[]).length).toBeGreaterThan(6);
    // eslint-disable-next-line no-console
    console.log(
      `OOMKilled alert after ${seconds.toFixed(
        1,
      )} s; ${await restarts()} kills and ${
        events.body.items.length
      } events since, still one alert`,
    );

    expect(await incidents()).toEqual([
      expect.objectContaining({
        id: incident.id,
        entityRef: 'component:default/basket',
        environment: 'test',
        ruleKey: 'signal:oomkilled',
        source: 'kubernetes',
        severity: 'critical',
        status: 'open',
        alertCount: 1,
        firingCount: 1,
        title: 'ContainerOOMKilled',
      }),
    ]);
    const detail = await server()
      .get(`${API}/incidents/${incident.id}`)
      .set(as(ALICE));
    expect(detail.body.alerts).toHaveLength(1);
    expect(detail.body.alerts[0]).toMatchObject({
      status: 'firing',
      cluster: 'test-a',
      labels: {
        alertname: 'ContainerOOMKilled',
        k2_entity: 'component:default/basket',
        k2_service: 'basket',
        k2_rule: 'signal:oomkilled',
        environment: 'test',
        cluster: 'test-a',
        namespace: 'shop',
        team: 'group:default/shop-team',
        severity: 'critical',
      },
      // The alert keeps its own words; the incident is titled by the signal's name.
      annotations: {
        summary:
          'basket in test: a container was killed out of memory (OOMKilled)',
      },
      events: [{ status: 'firing', source: 'kubernetes' }],
    });

    // No more pods, no more kills: resolved once a window passes without one.
    await k8s.mergePatch('/apis/apps/v1/namespaces/shop/deployments/basket', {
      spec: { replicas: 0 },
    });
    const [resolved] = await poll(
      'the incident resolved',
      async () => {
        const items = await incidents();
        return items[0]?.status === 'resolved' ? items : undefined;
      },
      (WINDOW_SECONDS + 20) * 1000,
    );
    expect(resolved).toMatchObject({
      id: incident.id,
      alertCount: 1,
      firingCount: 0,
    });
    const history = await server()
      .get(`${API}/services/default/basket/alerts`)
      .set(as(ALICE));
    expect(
      history.body.items.map((e: { status: string; labels: any }) => [
        e.labels.k2_rule,
        e.status,
      ]),
    ).toEqual([
      ['signal:oomkilled', 'resolved'],
      ['signal:oomkilled', 'firing'],
    ]);
  });
});
