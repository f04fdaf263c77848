import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { Entity } from '@backstage/catalog-model';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OWNER_GROUP,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  recordingNotifications,
  startWebhookReceiver,
} from '../__testUtils__/recording';
import { until } from '../__testUtils__/until';
import { k2AlertsPlugin } from '../plugin';

jest.setTimeout(120_000);

const TOKEN = 'a-webhook-token-of-some-length';
const API = '/api/k2-alerts';
const SETTINGS = `${API}/teams/default/shop-team/settings`;
const LEAD = 'user:default/lena';

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
const group = (name: string, members: string[], parent?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', children: [], members, ...(parent ? { parent } : {}) },
});
const shopTeam = group('shop-team', [ALICE, ERIN], 'group:default/engineering');
const engineering = group('engineering', [CAROL]);
const otherTeam = group('other-team', [BOB]);

/** One firing (or resolved) alert of basket, as Alertmanager's webhook carries it. */
function delivery(
  fingerprint: string,
  options: { rule: string; status?: 'firing' | 'resolved'; startsAt?: string },
) {
  const status = options.status ?? 'firing';
  return {
    version: '4',
    status,
    receiver: 'k2',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:7106',
    groupKey: '{}',
    truncatedAlerts: 0,
    alerts: [
      {
        status,
        labels: {
          // The rule's name, which is the incident's title.
          alertname: `Memory of basket high (${options.rule})`,
          k2_entity: 'component:default/basket',
          k2_rule: options.rule,
          environment: 'test',
          severity: 'warning',
        },
        annotations: { summary: `Memory of basket high (${options.rule})` },
        startsAt: options.startsAt ?? '2026-11-26T10:00:00.000Z',
        endsAt:
          status === 'resolved'
            ? '2026-11-26T10:05:00.000Z'
            : '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:7105/graph',
        fingerprint,
      },
    ],
  };
}

describe('routing, channels and escalation', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const notifications = recordingNotifications();
  const server = () => request(backend.server);
  const alert = (body: object) =>
    server()
      .post(`${API}/webhook/alertmanager`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .send(body);
  const sentTo = () =>
    notifications.sent.map(n =>
      n.recipients.type === 'entity' ? n.recipients.entityRef : [],
    );
  const openIncident = async (rule: string) => {
    const { body } = await server()
      .get(`${API}/services/default/basket/incidents?status=open`)
      .set(as(ALICE));
    return body.items.find((i: { ruleKey: string }) => i.ruleKey === rule);
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      timeScale: 0.1,
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
      entities: [basket, shopTeam, engineering, otherTeam],
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        alerts: {
          webhook: { token: TOKEN },
          escalation: { tick: { milliseconds: 200 } },
        },
      },
      features: [schedulerServiceFactory, notifications.factory],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
    await receiver?.stop();
  });

  it('answers defaults for a team without settings', async () => {
    const response = await server().get(SETTINGS).set(as(BOB));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      team: OWNER_GROUP,
      stored: false,
      channels: [{ type: 'notifications', enabled: true }],
      escalation: [
        { target: 'team', waitSeconds: 900 },
        { target: 'lead', waitSeconds: 1800 },
        { target: 'parent', waitSeconds: 3600 },
      ],
    });
  });

  const settings = () => ({
    channels: [
      {
        id: 'in-app',
        type: 'notifications',
        enabled: true,
        template: '{{ title }} in {{ environment }}',
      },
      {
        id: 'dingtalk',
        type: 'webhook',
        enabled: true,
        url: `${receiver.url}/robot/send?access_token=s3cret-token`,
        template:
          '[{{ severity }}] {{ title }} ({{ event }}, level {{ level }})',
        payload:
          '{"msgtype": "text", "text": {"content": "{{ message }} {{ link }}"}}',
      },
    ],
    lead: LEAD,
    escalation: [
      { target: 'team', waitSeconds: 2 },
      // Long enough for Alice to acknowledge on a busy machine.
      { target: 'lead', waitSeconds: 6 },
      { target: 'parent', waitSeconds: 2 },
    ],
  });

  it('refuses settings from a user outside the team (403) and absurd values (400)', async () => {
    const bob = await server().put(SETTINGS).set(as(BOB)).send(settings());
    expect(bob.status).toBe(403);
    expect(bob.body.error.message).toMatch(
      /Only members of group:default\/shop-team/,
    );

    const absurd = [
      { ...settings(), escalation: [{ target: 'team', waitSeconds: -5 }] },
      { ...settings(), escalation: [{ target: 'team', waitSeconds: 10 ** 7 }] },
      { ...settings(), escalation: [{ target: 'cto', waitSeconds: 60 }] },
      {
        ...settings(),
        quietHours: { timeZone: 'Mars/Olympus', start: '22:00', end: '07:00' },
      },
      {
        ...settings(),
        quietHours: { timeZone: 'Asia/Shanghai', start: '25:00', end: '07:00' },
      },
      {
        ...settings(),
        channels: [{ ...settings().channels[1], url: 'file:///etc/passwd' }],
      },
      {
        ...settings(),
        channels: [
          { ...settings().channels[1], payload: '{"text": {{ message }}' },
        ],
      },
      {
        ...settings(),
        channels: [settings().channels[0], settings().channels[0]],
      },
    ];
    for (const body of absurd) {
      const response = await server().put(SETTINGS).set(as(ALICE)).send(body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    const stored = await server().get(SETTINGS).set(as(ALICE));
    expect(stored.body.stored).toBe(false);
  });

  it('stores a member’s settings and never answers the webhook URL back', async () => {
    const put = await server().put(SETTINGS).set(as(ALICE)).send(settings());
    expect(put.status).toBe(200);
    const got = await server().get(SETTINGS).set(as(BOB));
    expect(got.body).toMatchObject({
      stored: true,
      lead: LEAD,
      updatedBy: ALICE,
    });
    expect(got.body.channels[1].urlHint).toBe(`${receiver.url}/…`);
    expect(JSON.stringify(got.body)).not.toContain('s3cret-token');
    expect(JSON.stringify(put.body)).not.toContain('s3cret-token');

    // Saved again from the UI without the URL: the stored one stays.
    const { url: _url, ...withoutUrl } = settings().channels[1];
    const again = await server()
      .put(SETTINGS)
      .set(as(DAVE))
      .send({ ...settings(), channels: [settings().channels[0], withoutUrl] });
    expect(again.status).toBe(200);
    const row = await knex('k2_alert_team_settings').first();
    expect(JSON.parse(row.settings).channels[1].url).toContain('s3cret-token');
  });

  it('refuses an email channel while email is not configured (400), and reports a stored one as not delivering', async () => {
    const mail = {
      id: 'mail',
      type: 'email',
      enabled: true,
      template: '{{ title }}',
    };
    const response = await server()
      .put(SETTINGS)
      .set(as(ALICE))
      .send({ ...settings(), channels: [...settings().channels, mail] });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      'channels.mail: email is not configured on this K2 (k2.alerts.email), so an email channel cannot deliver; ask a platform admin, or use another channel type',
    );

    // One stored while email was configured.
    const before = await knex('k2_alert_team_settings').first();
    const stored = JSON.parse(before.settings);
    await knex('k2_alert_team_settings')
      .where({ team_ref: before.team_ref })
      .update({
        settings: JSON.stringify({
          ...stored,
          channels: [...stored.channels, mail],
        }),
      });
    const got = await server().get(SETTINGS).set(as(BOB));
    expect(got.body.channels[2]).toEqual({
      ...mail,
      problem: expect.stringMatching(/^email is not configured on this K2/),
    });
    expect(got.body.channels[0].problem).toBeUndefined();
    await knex('k2_alert_team_settings')
      .where({ team_ref: before.team_ref })
      .update({ settings: before.settings });
  });

  it('previews a channel’s message with a sample incident', async () => {
    const response = await server()
      .post(`${SETTINGS}/preview`)
      .set(as(BOB))
      .send({
        template: '{{ service }}: {{ title }} "{{ severity }}"',
        payload: '{"content": "{{ message }}"}',
      });
    expect(response.status).toBe(200);
    expect(response.body.text).toBe(
      'payment-gateway: Memory of payment-gateway over 90 % of the limit for 5m "critical"',
    );
    expect(JSON.parse(response.body.body)).toEqual({
      content: response.body.text,
    });
  });

  it('notifies the team, escalates an unacknowledged incident, stops when acknowledged', async () => {
    notifications.sent.length = 0;
    receiver.calls.length = 0;
    expect((await alert(delivery('e1', { rule: 'escalate' }))).status).toBe(
      200,
    );

    // Level 1: the team's members in-app, and the team's chat through its webhook.
    await until('a message', () => expect(sentTo()).toEqual([[ALICE, ERIN]]));
    await until('a message', () => expect(receiver.calls).toHaveLength(1));
    const incident = await openIncident('escalate');
    expect(notifications.sent[0].payload).toMatchObject({
      title: '[warning] Memory of basket high (escalate)',
      description: 'Memory of basket high (escalate) in test',
      link: `/catalog/default/component/basket/alerts?incident=${incident.id}`,
    });
    expect(receiver.calls[0]).toEqual({
      path: '/robot/send?access_token=s3cret-token',
      body: {
        msgtype: 'text',
        text: {
          content: `[warning] Memory of basket high (escalate) (opened, level 1) /catalog/default/component/basket/alerts?incident=${incident.id}`,
        },
      },
    });

    // Nobody acknowledges: after level 1's wait, the lead.
    await until('a message', () =>
      expect(sentTo()).toEqual([[ALICE, ERIN], [LEAD]]),
    );
    await until('the escalation in the chat', () =>
      expect(receiver.calls).toHaveLength(2),
    );
    expect(receiver.calls[1].body).toMatchObject({
      text: { content: expect.stringContaining('(escalated, level 2)') },
    });

    // Bob may not acknowledge another team's incident; Alice may.
    const refused = await server()
      .post(`${API}/incidents/${incident.id}/acknowledge`)
      .set(as(BOB))
      .send({});
    expect(refused.status).toBe(403);
    const acked = await server()
      .post(`${API}/incidents/${incident.id}/acknowledge`)
      .set(as(ALICE))
      .send({});
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({
      status: 'open',
      acknowledgedBy: ALICE,
      acknowledgedAt: expect.any(String),
    });

    // Level 2's wait passes and more: nobody else hears of it.
    await new Promise(resolve => setTimeout(resolve, 8000));
    expect(sentTo()).toEqual([[ALICE, ERIN], [LEAD]]);
    expect(receiver.calls).toHaveLength(2);
  });

  it('resolves by hand (stopping escalation, telling the team once), 409 when resolved already, in the activity log', async () => {
    notifications.sent.length = 0;
    receiver.calls.length = 0;
    await alert(delivery('r1', { rule: 'by-hand' }));
    await until('a message', () => expect(sentTo()).toEqual([[ALICE, ERIN]]));
    await until('a message', () => expect(receiver.calls).toHaveLength(1));
    const incident = await openIncident('by-hand');
    const resolved = await server()
      .post(`${API}/incidents/${incident.id}/resolve`)
      .set(as(ERIN))
      .send({});
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      resolvedBy: ERIN,
    });
    const again = await server()
      .post(`${API}/incidents/${incident.id}/resolve`)
      .set(as(ERIN))
      .send({});
    expect(again.status).toBe(409);
    const ack = await server()
      .post(`${API}/incidents/${incident.id}/acknowledge`)
      .set(as(ERIN))
      .send({});
    expect(ack.status).toBe(409);

    // The channels that told the team it opened tell it once that it resolved.
    await until('the resolved message', () =>
      expect(sentTo()).toEqual([
        [ALICE, ERIN],
        [ALICE, ERIN],
      ]),
    );
    expect(notifications.sent[1].payload).toMatchObject({
      title: '[resolved] Memory of basket high (by-hand)',
      severity: 'normal',
      link: `/catalog/default/component/basket/alerts?incident=${incident.id}`,
    });
    await until('the resolved message in the chat', () =>
      expect(receiver.calls).toHaveLength(2),
    );
    expect(receiver.calls[1].body).toMatchObject({
      text: { content: expect.stringContaining('(resolved, level 1)') },
    });
    await new Promise(resolve => setTimeout(resolve, 3000));
    expect(sentTo()).toHaveLength(2);
    expect(receiver.calls).toHaveLength(2);

    const activity = await server()
      .get('/api/k2/services/default/basket/activity')
      .set(as(ALICE));
    expect(
      activity.body.items.map((e: { action: string; actor: string }) => [
        e.action,
        e.actor,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['alert-incident-resolve', ERIN],
        ['alert-incident-acknowledge', ALICE],
      ]),
    );
  });

  it('sends a flapping group once per repeat interval, and its one told incident’s resolution', async () => {
    notifications.sent.length = 0;
    await alert(delivery('f1', { rule: 'flap' }));
    await until('a message', () => expect(sentTo()).toHaveLength(1));
    for (let i = 0; i < 3; i++) {
      const startsAt = `2026-11-26T11:0${i}:00.000Z`;
      await alert(
        delivery(`f1`, {
          rule: 'flap',
          status: 'resolved',
          startsAt: i ? `2026-11-26T11:0${i - 1}:00.000Z` : undefined,
        }),
      );
      await alert(delivery('f1', { rule: 'flap', startsAt }));
      // Redelivered as Alertmanager does every repeat_interval.
      await alert(delivery('f1', { rule: 'flap', startsAt }));
    }
    const { body } = await server()
      .get(`${API}/services/default/basket/incidents`)
      .set(as(ALICE));
    expect(
      body.items.filter((i: { ruleKey: string }) => i.ruleKey === 'flap'),
    ).toHaveLength(4);
    // The first incident was told and resolved; the three that flapped after it
    // within the interval were never told, so they are not told they resolved.
    // (The fourth, still firing, may meanwhile be escalated to the lead.)
    const toTeam = () =>
      notifications.sent
        .filter(
          n =>
            n.recipients.type === 'entity' &&
            n.recipients.entityRef.length === 2,
        )
        .map(n => n.payload.title.replace(/\].*/, ']'));
    await until('the resolved message', () =>
      expect(toTeam()).toEqual(['[warning]', '[resolved]']),
    );
    await new Promise(resolve => setTimeout(resolve, 1000));
    expect(toTeam()).toEqual(['[warning]', '[resolved]']);
  });
});
