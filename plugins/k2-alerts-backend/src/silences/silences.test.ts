// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the Alerts plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  OTHER_TEAM,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { poll } from '@internal/sandbox-cluster/testUtils';
import http from 'node:http';
import net from 'node:net';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  describeWithMonitoring,
  MonitoringStack,
  startMonitoringStack,
} from '../__testUtils__/monitoring';
import { k2AlertsPlugin } from '../plugin';

const API = '/api/k2-alerts';
const SILENCES = `${API}/services/default/basket/silences`;
const BASKET = 'component:default/basket';

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
});
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

/** Records the alerts Alertmanager POSTs to its webhook receiver. */
async function startReceiver() {
  const alerts: { status: string; labels: Record<string, string> }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      alerts.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')).alerts);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    alerts,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

const silence = {
  environment: 'test',
  matchers: [{ name: 'k2_rule', value: 'memory-high' }],
  duration: '2h',
  comment: 'Memory is raised in the next release',
};

describeWithMonitoring('silences through a real Alertmanager', () => {
  jest.setTimeout(120_000);
  let cluster: SandboxCluster;
  let stack: MonitoringStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  const server = () => request(backend.server);

  /** Posts alerts to Alertmanager as Prometheus does. */
  const fire = async (labels: Record<string, string>) => {
    const res = await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([
        { labels, annotations: { summary: labels.alertname } },
      ]),
    });
    expect(res.status).toBe(200);
  };
  const labels = (rule: string, entity = BASKET) => ({
    alertname: `Basket-${rule}`,
    k2_entity: entity,
    k2_rule: rule,
    environment: 'test',
    severity: 'warning',
  });

  beforeAll(async () => {
    cluster = new SandboxCluster({ name: 'test-a', tokens: ['test-a-token'] });
    await cluster.listen(0);
    receiver = await startReceiver();
    stack = await startMonitoringStack({
      sandboxTargets: [],
      webhookUrl: receiver.url,
      token: 'unused',
    });
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2PluginTestBackend({
      plugin: k2AlertsPlugin,
      pluginId: 'k2-alerts',
      entities: [basket, ledger],
      clusters: [cluster],
      knex,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test-a' }] },
          { name: 'prod', clusters: [{ name: 'test-a' }] },
        ],
        alerts: {
          webhook: { token: 'unused' },
          silences: { maxDuration: '3d' },
          environments: {
            test: {
              prometheus: { url: stack.prometheusUrl },
              alertmanager: { url: stack.alertmanagerUrl },
              delivery: { type: 'files', directory: stack.rulesDir },
            },
            // One Alertmanager for both, as in development: each silence is listed
            // once, under its own environment.
            prod: {
              prometheus: { url: stack.prometheusUrl },
              alertmanager: { url: stack.alertmanagerUrl },
              delivery: { type: 'files', directory: stack.rulesDir },
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await stack?.stop();
    await receiver?.close();
    await cluster?.stop();
  });

  let created: { id: string };

  it("creates a silence in Alertmanager scoped to the service, by the signed-in owner, and its alerts are no longer delivered while another rule's are", async () => {
    const res = await server().post(SILENCES).set(as(ALICE)).send(silence);
    expect(res.status).toBe(201);
    created = res.body;
    expect(res.body).toMatchObject({
      environment: 'test',
      createdBy: ALICE,
      comment: silence.comment,
      state: 'active',
    });
    const hours =
      (Date.parse(res.body.endsAt) - Date.parse(res.body.startsAt)) / 3_600_000;
    expect(hours).toBeCloseTo(2, 2);

    // Alertmanager itself holds it, with K2's matchers before the given one.
    const am = await (
      await fetch(`${stack.alertmanagerUrl}/api/v2/silence/${created.id}`)
    ).json();
    expect(am.createdBy).toBe(ALICE);
    expect(am.status.state).toBe('active');
    expect(am.matchers).toEqual([
      { name: 'k2_entity', value: BASKET, isRegex: false, isEqual: true },
      { name: 'environment', value: 'test', isRegex: false, isEqual: true },
      { name: 'k2_rule', value: 'memory-high', isRegex: false, isEqual: true },
    ]);

    await fire(labels('memory-high'));
    await fire(labels('cpu-high'));
    // The other rule's alert reaches the receiver (group_wait 1s in the test stack)…
    await poll(
      'the unsilenced alert at the webhook',
      async () => receiver.alerts.some(a => a.labels.k2_rule === 'cpu-high'),
      30_000,
    );
    // …and a few group intervals later the silenced one still has not.
    await new Promise(r => setTimeout(r, 3000));
    expect(
      receiver.alerts.filter(a => a.labels.k2_rule === 'memory-high'),
    ).toEqual([]);
    const states = await (
      await fetch(
        `${stack.alertmanagerUrl}/api/v2/alerts?filter=k2_rule="memory-high"`,
      )
    ).json();
    expect(states[0].status).toMatchObject({
      state: 'suppressed',
      silencedBy: [created.id],
    });
  });

  it("lists the service's silences with who made them and until when, to everyone signed in", async () => {
    const res = await server().get(SILENCES).set(as(BOB));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: created.id,
        createdBy: ALICE,
        state: 'active',
        endsAt: expect.any(String),
      }),
    ]);
    const ledgers = await server()
      .get(`${API}/services/default/ledger/silences`)
      .set(as(BOB));
    expect(ledgers.body.items).toEqual([]);
  });

  it('refuses silences that are not the caller’s to make, or unbounded, or without a reason', async () => {
    const refused = async (
      user: string,
      body: object,
      status: number,
      message: RegExp,
      path = SILENCES,
    ) => {
      const res = await server()
        .post(path)
        .set(as(user))
        .send({ ...silence, ...body });
      expect({ status: res.status, message: res.body.error?.message }).toEqual({
        status,
        message: expect.stringMatching(message),
      });
    };
    await refused(BOB, {}, 403, /may not manage the silences of/);
    await refused(ALICE, { duration: '4d' }, 400, /from 1m to 3d, not '4d'/);
    await refused(ALICE, { duration: '30s' }, 400, /from 1m to 3d/);
    await refused(ALICE, { comment: '   ' }, 400, /needs a comment/);
    await refused(ALICE, { comment: '' }, 400, /comment/);
    await refused(
      ALICE,
      {
        matchers: [{ name: 'k2_entity', value: 'component:default/ledger' }],
      },
      400,
      /K2 sets the matcher on 'k2_entity'/,
    );
    await refused(
      ALICE,
      { matchers: [{ name: 'environment', value: 'prod' }] },
      400,
      /K2 sets the matcher on 'environment'/,
    );
    await refused(
      ALICE,
      { matchers: [{ name: 'pod', value: '(', isRegex: true }] },
      400,
      /not a regular expression/,
    );
    await refused(
      ALICE,
      { environment: 'staging' },
      400,
      /does not run in 'staging'/,
    );
    // Alice does not own the ledger.
    await refused(
      ALICE,
      {},
      403,
      /may not manage the silences of/,
      `${API}/services/default/ledger/silences`,
    );
    const listed = await server().get(SILENCES).set(as(ALICE));
    expect(listed.body.items).toHaveLength(1);
  });

  it("expires only the service's own silences, once", async () => {
    // A silence of another service, made in Alertmanager directly.
    const other = await fetch(`${stack.alertmanagerUrl}/api/v2/silences`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          {
            name: 'k2_entity',
            value: 'component:default/ledger',
            isRegex: false,
            isEqual: true,
          },
        ],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'someone',
        comment: 'ledger maintenance',
      }),
    });
    const { silenceID } = await other.json();
    const notOurs = await server()
      .delete(`${SILENCES}/${silenceID}`)
      .set(as(ALICE));
    expect(notOurs.status).toBe(404);
    expect(notOurs.body.error.message).toBe(
      `basket has no silence ${silenceID}`,
    );

    expect(
      (await server().delete(`${SILENCES}/${created.id}`).set(as(BOB))).status,
    ).toBe(403);
    const expired = await server()
      .delete(`${SILENCES}/${created.id}`)
      .set(as(ALICE));
    expect(expired.status).toBe(204);
    const am = await (
      await fetch(`${stack.alertmanagerUrl}/api/v2/silence/${created.id}`)
    ).json();
    expect(am.status.state).toBe('expired');
    const listed = await server().get(SILENCES).set(as(ALICE));
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: created.id, state: 'expired' }),
    ]);
    const again = await server()
      .delete(`${SILENCES}/${created.id}`)
      .set(as(ALICE));
    expect(again.status).toBe(409);

    // The expired silence no longer holds the rule's next alert back.
    await fire({ ...labels('memory-high'), pod: 'basket-2' });
    await poll(
      'the alert of the expired silence at the webhook',
      async () => receiver.alerts.some(a => a.labels.k2_rule === 'memory-high'),
      30_000,
    );
  });

  it("puts silences made, expired and refused in the service's activity log", async () => {
    const res = await server()
      .get('/api/k2/services/default/basket/activity?limit=100')
      .set(as(BOB));
    const entries = (
      res.body.items as {
        actor: string;
        action: string;
        result: string;
        summary: string;
      }[]
    ).map(e => [e.actor, e.action, e.result, e.summary]);
    expect(entries).toEqual(
      expect.arrayContaining([
        [
          ALICE,
          'alert-silence-create',
          'succeeded',
          expect.stringContaining(
            `Silenced k2_entity="${BASKET}",environment="test",k2_rule="memory-high" until`,
          ),
        ],
        [
          ALICE,
          'alert-silence-expire',
          'succeeded',
          expect.stringContaining(created.id),
        ],
        [BOB, 'alert-silence-create', 'failed', expect.any(String)],
      ]),
    );
  });

  it('answers 503 naming Alertmanager when it cannot be reached', async () => {
    await stack.stop();
    const res = await server().get(SILENCES).set(as(ALICE));
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /^Alertmanager at http:\/\/127\.0\.0\.1:\d+ could not be reached/,
    );
  });
});
