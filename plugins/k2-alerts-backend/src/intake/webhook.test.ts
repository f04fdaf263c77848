import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  OTHER_TEAM,
  OWNER_GROUP,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { poll } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { k2AlertsPlugin } from '../plugin';

jest.setTimeout(120_000);

const TOKEN = 'a-webhook-token-of-some-length';
const API = '/api/k2-alerts';
const WEBHOOK = `${API}/webhook/alertmanager`;

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
const cart = serviceEntity('cart', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);
/** In the catalog, but not a K2 service (no k2.io/environments). */
const website: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'website', namespace: 'default' },
  spec: { type: 'website', owner: OWNER_GROUP, lifecycle: 'production' },
};

/** One alert as Alertmanager's webhook (version 4) carries it. */
function amAlert(
  fingerprint: string,
  options: {
    status?: 'firing' | 'resolved';
    entity?: string | null;
    rule?: string;
    startsAt?: string;
    endsAt?: string;
    severity?: string;
  } = {},
) {
  const entity =
    options.entity === null
      ? {}
      : { k2_entity: options.entity ?? 'component:default/basket' };
  const status = options.status ?? 'firing';
  return {
    status,
    labels: {
      alertname: 'BasketMemoryHigh',
      ...entity,
      k2_service: 'basket',
      k2_rule: options.rule ?? 'memory-high',
      environment: 'test',
      cluster: 'test-a',
      namespace: 'shop',
      team: OWNER_GROUP,
      severity: options.severity ?? 'warning',
      pod: `basket-${fingerprint}`,
    },
    annotations: {
      summary: 'Memory of basket over 80% for 5m',
      description: 'usage − cache over the threshold',
    },
    startsAt: options.startsAt ?? '2026-11-26T10:00:00.000Z',
    endsAt:
      options.endsAt ??
      (status === 'resolved'
        ? '2026-11-26T10:07:30.000Z'
        : '0001-01-01T00:00:00Z'),
    generatorURL: 'http://127.0.0.1:7105/graph?g0.expr=...',
    fingerprint,
  };
}

/** The whole webhook body, as Alertmanager sends it. */
function payload(alerts: Array<ReturnType<typeof amAlert>>) {
  return {
    receiver: 'k2',
    status: alerts.some(a => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { k2_entity: 'component:default/basket' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:7106',
    version: '4',
    groupKey: '{}:{k2_entity="component:default/basket"}',
    truncatedAlerts: 0,
  };
}

describe('Alertmanager webhook and incident reads', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  const server = () => request(backend.server);
  const post = (body: unknown, auth = `Bearer ${TOKEN}`) =>
    server()
      .post(WEBHOOK)
      .set('Authorization', auth)
      .send(body as object);
  const rows = async () =>
    JSON.stringify([
      await knex('k2_alert_incidents').orderBy('id'),
      await knex('k2_alerts').orderBy('id'),
      await knex('k2_alert_events').orderBy('id'),
    ]);

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
      entities: [basket, cart, ledger, website],
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        alerts: { webhook: { token: TOKEN } },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  it('refuses a call without the token (401) and writes nothing', async () => {
    const body = payload([amAlert('f1')]);
    expect((await post(body, '')).status).toBe(401);
    expect((await post(body, 'Bearer not-the-token')).status).toBe(401);
    const wrongBasic = Buffer.from('alertmanager:not-the-token').toString(
      'base64',
    );
    expect((await post(body, `Basic ${wrongBasic}`)).status).toBe(401);
    // A malformed body without the token learns nothing of the check: still 401.
    expect((await post({ version: '3' }, '')).status).toBe(401);
    expect(await knex('k2_alerts').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it.each([
    ['not JSON', '{"version": "4", "alerts": ['],
    ['another version', { ...payload([amAlert('f1')]), version: '3' }],
    ['no alerts', { version: '4', status: 'firing' }],
    [
      'an alert without a fingerprint',
      payload([{ ...amAlert('f1'), fingerprint: undefined as any }]),
    ],
    [
      'an alert with a bad start time',
      payload([amAlert('f1'), { ...amAlert('f2'), startsAt: 'yesterday' }]),
    ],
    [
      'a label that is not a string',
      payload([
        amAlert('f1'),
        { ...amAlert('f2'), labels: { k2_entity: 42 } as any },
      ]),
    ],
  ])('answers 400 to %s and writes nothing', async (_what, body) => {
    const before = await rows();
    const response = await server()
      .post(WEBHOOK)
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));
    expect(response.status).toBe(400);
    expect(response.body.error.name).toMatch(
      /InputError|BadRequestError|SyntaxError/,
    );
    expect(await rows()).toBe(before);
  });

  it('refuses a body over its limit with 413', async () => {
    const huge = payload(
      Array.from({ length: 40_000 }, (_, i) => amAlert(`big${i}`)),
    );
    const response = await post(huge);
    expect(response.status).toBe(413);
  });

  it('records firing alerts of K2 services into one incident, drops the others, and a duplicate delivery changes nothing', async () => {
    const body = payload([
      amAlert('a1'),
      amAlert('a2'),
      amAlert('x1', { entity: null }),
      amAlert('x2', { entity: 'component:default/no-such-service' }),
      amAlert('x3', { entity: 'component:default/website' }),
      amAlert('x4', { entity: 'not a ref at all :/' }),
    ]);
    const first = await post(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: 6, recorded: 2, duplicates: 0 });
    const after = await rows();

    const again = await post(body);
    expect(again.body).toEqual({ received: 6, recorded: 0, duplicates: 2 });
    // Basic auth with the token as password works as well.
    const basic = Buffer.from(`alertmanager:${TOKEN}`).toString('base64');
    const third = await post(body, `Basic ${basic}`);
    expect(third.body).toEqual({ received: 6, recorded: 0, duplicates: 2 });
    expect(await rows()).toBe(after);

    const open = await server()
      .get(`${API}/services/default/basket/incidents?status=open`)
      .set(as(ALICE));
    expect(open.status).toBe(200);
    expect(open.body.items).toEqual([
      expect.objectContaining({
        entityRef: 'component:default/basket',
        environment: 'test',
        ruleKey: 'memory-high',
        title: 'BasketMemoryHigh',
        severity: 'warning',
        status: 'open',
        source: 'prometheus',
        firingCount: 2,
        alertCount: 2,
      }),
    ]);
  });

  it('resolves the incident when the last of its alerts resolves, and a new firing opens a new incident', async () => {
    const half = await post(payload([amAlert('a1', { status: 'resolved' })]));
    expect(half.body).toEqual({ received: 1, recorded: 1, duplicates: 0 });
    let open = await server()
      .get(`${API}/services/default/basket/incidents?status=open`)
      .set(as(ALICE));
    expect(open.body.items).toEqual([
      expect.objectContaining({ firingCount: 1, alertCount: 2 }),
    ]);
    const incidentId = open.body.items[0].id;

    await post(payload([amAlert('a2', { status: 'resolved' })]));
    open = await server()
      .get(`${API}/services/default/basket/incidents?status=open`)
      .set(as(ALICE));
    expect(open.body.items).toEqual([]);

    const detail = await server()
      .get(`${API}/incidents/${incidentId}`)
      .set(as(ALICE));
    expect(detail.status).toBe(200);
    expect(detail.body.incident).toMatchObject({
      status: 'resolved',
      resolvedAt: '2026-11-26T10:07:30.000Z',
      firingCount: 0,
    });
    expect(detail.body.alerts).toHaveLength(2);
    expect(detail.body.alerts[0]).toMatchObject({
      fingerprint: expect.stringMatching(/^a[12]$/),
      status: 'resolved',
      cluster: 'test-a',
      labels: { k2_rule: 'memory-high', pod: expect.any(String) },
      events: [
        {
          status: 'firing',
          at: '2026-11-26T10:00:00.000Z',
          source: 'alertmanager',
        },
        {
          status: 'resolved',
          at: '2026-11-26T10:07:30.000Z',
          source: 'alertmanager',
        },
      ],
    });

    // The service's activity log says when the incident opened and resolved.
    const activity = await poll(
      'the incident in the activity log',
      async () => {
        const response = await server()
          .get('/api/k2/services/default/basket/activity')
          .set(as(ALICE));
        const entries = (
          response.body.items as Array<{ action: string; summary: string }>
        ).filter(e => e.action.startsWith('alert-incident'));
        return entries.length === 2 ? entries : undefined;
      },
    );
    expect(activity).toEqual([
      expect.objectContaining({
        action: 'alert-incident-resolve',
        actor: 'k2',
        environment: 'test',
        summary: 'Incident resolved (warning): BasketMemoryHigh',
      }),
      expect.objectContaining({
        action: 'alert-incident-open',
        summary: 'Incident opened (warning): BasketMemoryHigh',
      }),
    ]);

    const reopened = await post(
      payload([amAlert('a1', { startsAt: '2026-11-26T11:00:00.000Z' })]),
    );
    expect(reopened.body.recorded).toBe(1);
    open = await server()
      .get(`${API}/services/default/basket/incidents?status=open`)
      .set(as(ALICE));
    expect(open.body.items).toHaveLength(1);
    expect(open.body.items[0].id).not.toBe(incidentId);
  });

  it("serves the history with filters and pages, and a team its services' incidents", async () => {
    await post(
      payload([
        amAlert('c1', {
          entity: 'component:default/cart',
          rule: 'restarts',
          severity: 'critical',
        }),
      ]),
    );
    const history = await server()
      .get(`${API}/services/default/basket/alerts?limit=2`)
      .set(as(ALICE));
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(2);
    // Each alert keeps its own summary in the history.
    expect(history.body.items[0]).toMatchObject({
      status: 'firing',
      at: '2026-11-26T11:00:00.000Z',
      summary: 'Memory of basket over 80% for 5m',
      labels: { pod: 'basket-a1' },
    });
    const rest = await server()
      .get(
        `${API}/services/default/basket/alerts?limit=2&cursor=${history.body.nextCursor}`,
      )
      .set(as(ALICE));
    expect(
      [...history.body.items, ...rest.body.items].map(
        (e: { status: string; labels: { pod: string } }) =>
          `${e.labels.pod} ${e.status}`,
      ),
    ).toEqual([
      'basket-a1 firing',
      'basket-a2 resolved',
      'basket-a1 resolved',
      'basket-a2 firing',
    ]);
    const resolvedOnly = await server()
      .get(`${API}/services/default/basket/alerts?status=resolved`)
      .set(as(ALICE));
    expect(resolvedOnly.body.items).toHaveLength(2);

    const team = await server()
      .get(`${API}/teams/default/shop-team/incidents?status=open`)
      .set(as(ALICE));
    expect(team.status).toBe(200);
    expect(team.body.services).toEqual([
      'component:default/basket',
      'component:default/cart',
    ]);
    expect(
      team.body.items.map((i: { entityRef: string; severity: string }) => [
        i.entityRef,
        i.severity,
      ]),
    ).toEqual([
      ['component:default/basket', 'warning'],
      ['component:default/cart', 'critical'],
    ]);
    // Another team's overview does not show them.
    const other = await server()
      .get(`${API}/teams/default/other-team/incidents`)
      .set(as(ALICE));
    expect(other.body).toEqual({
      items: [],
      services: ['component:default/ledger'],
    });
  });

  it('refuses unauthenticated reads (401), malformed filters (400), unknown incidents (404), and caps absurd limits', async () => {
    for (const path of [
      '/services/default/basket/incidents',
      '/services/default/basket/alerts',
      '/incidents/1',
      '/teams/default/shop-team/incidents',
    ]) {
      const anonymous = await server()
        .get(`${API}${path}`)
        .set('Authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
    }
    for (const query of [
      'incidents?status=burning',
      'incidents?severity=loud',
      'incidents?limit=0',
      'incidents?limit=many',
      'alerts?from=yesterday',
      'alerts?status=open',
      'alerts?cursor=not-a-cursor',
    ]) {
      const response = await server()
        .get(`${API}/services/default/basket/${query}`)
        .set(as(ALICE));
      expect([query, response.status]).toEqual([query, 400]);
    }
    expect(
      (await server().get(`${API}/incidents/abc`).set(as(ALICE))).status,
    ).toBe(400);
    expect(
      (await server().get(`${API}/incidents/999999`).set(as(ALICE))).status,
    ).toBe(404);

    // 250 alerts of one service: a page of a million is served as a page of 200.
    await post(
      payload(
        Array.from({ length: 250 }, (_, i) =>
          amAlert(`m${i}`, { rule: `many-${i}` }),
        ),
      ),
    );
    const capped = await server()
      .get(`${API}/services/default/basket/incidents?limit=1000000`)
      .set(as(ALICE));
    expect(capped.status).toBe(200);
    expect(capped.body.items).toHaveLength(200);
    expect(capped.body.nextCursor).toEqual(expect.any(String));
  });
});
