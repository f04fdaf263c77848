import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { Entity } from '@backstage/catalog-model';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  BOB,
  DAVE,
  ERIN,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
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
const TEAM = 'group:default/payments-team';
const SETTINGS = `${API}/teams/default/payments-team/settings`;
const FRANK = 'user:default/frank';
const SMTP_USER = 'k2-alerts';
const SMTP_PASSWORD = 'smtp-Pa55word-never-shown';
const FROM = 'k2-alerts@northwind.example';

const user = (ref: string, email?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: ref.split('/')[1], namespace: 'default' },
  spec: {
    profile: { displayName: ref.split('/')[1], ...(email ? { email } : {}) },
    memberOf: [],
  },
});
const entities: Entity[] = [
  serviceEntity(
    'payment-gateway',
    { 'k2.io/environments': 'test', 'k2.io/namespace': 'payments' },
    { owner: TEAM },
  ),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'payments-team', namespace: 'default' },
    spec: { type: 'team', children: [], members: [ALICE, ERIN, FRANK] },
  },
  user(ALICE, 'alice@northwind.example'),
  // Erin has no address in the catalog.
  user(ERIN),
  user(FRANK, 'frank@northwind.example'),
];

/** One alert of payment-gateway, as Alertmanager's webhook carries it. */
function delivery(
  rule: string,
  options: { severity: 'critical' | 'warning'; summary: string },
) {
  return {
    version: '4',
    status: 'firing',
    receiver: 'k2',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:7106',
    groupKey: '{}',
    truncatedAlerts: 0,
    alerts: [
      {
        status: 'firing',
        labels: {
          // The rule's name, which is the incident's title.
          alertname: options.summary,
          k2_entity: 'component:default/payment-gateway',
          k2_rule: rule,
          environment: 'test',
          severity: options.severity,
        },
        annotations: { summary: options.summary },
        startsAt: '2026-11-26T10:00:00.000Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:7105/graph',
        fingerprint: rule,
      },
    ],
  };
}

type Received = {
  from: string;
  to: string[];
  user?: string;
  subject: string;
  text: string;
};

/** Headers unfolded and the body decoded from quoted-printable (ASCII only). */
function parse(raw: string): Pick<Received, 'subject' | 'text'> {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers = head.replace(/\r\n(?=[ \t])/g, '');
  const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  let text = rest.join('\r\n\r\n');
  if (/^Content-Transfer-Encoding: quoted-printable$/im.test(headers)) {
    text = text
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
  }
  return { subject, text: text.replace(/\r\n/g, '\n') };
}

/** A real SMTP server on loopback that takes messages from the K2 login only. */
function smtpServer(received: Received[]) {
  return new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', chunk => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom
            ? session.envelope.mailFrom.address
            : '',
          to: session.envelope.rcptTo.map(r => r.address).sort(),
          user: session.user,
          ...parse(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
}

const listen = (server: SMTPServer, port: number) =>
  new Promise<number>(resolve =>
    server.listen(port, '127.0.0.1', () =>
      resolve((server.server.address() as net.AddressInfo).port),
    ),
  );

/** Every line the backend logs, with its metadata. */
function recordingLogger(lines: string[]) {
  const logger = (): LoggerService => {
    const log = (level: string) => (message: string, meta?: Error | object) =>
      void lines.push(
        `${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}`,
      );
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: () => logger(),
    };
  };
  return createServiceFactory({
    service: coreServices.logger,
    deps: {},
    factory: () => logger(),
  });
}

describe('email channel and resolved messages', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let smtp: SMTPServer;
  let smtpPort: number;
  const emails: Received[] = [];
  const logs: string[] = [];
  const notifications = recordingNotifications();
  const server = () => request(backend.server);
  const alert = (body: object) =>
    server()
      .post(`${API}/webhook/alertmanager`)
      .set('Authorization', `Bearer ${TOKEN}`)
      .send(body);
  const incidentOf = async (rule: string) => {
    const { body } = await server()
      .get(`${API}/services/default/payment-gateway/incidents`)
      .set(as(ALICE));
    return body.items.find((i: { ruleKey: string }) => i.ruleKey === rule);
  };
  const resolve = (id: string) =>
    server().post(`${API}/incidents/${id}/resolve`).set(as(DAVE)).send({});
  const titles = () => notifications.sent.map(n => n.payload.title);
  const settings = (extra: object = {}) => ({
    channels: [
      {
        id: 'in-app',
        type: 'notifications',
        enabled: true,
        template: '{{ title }}',
      },
      {
        id: 'chat',
        type: 'webhook',
        enabled: true,
        url: `${receiver.url}/robot`,
        template: '{{ title }} ({{ event }})',
      },
      {
        id: 'mail',
        type: 'email',
        enabled: true,
        subject: '[{{ severity }}] {{ service }}: {{ title }} ({{ event }})',
        template:
          'Incident {{ id }} of {{ service }} in {{ environment }}: {{ title }}, {{ event }} with {{ firing }} firing.',
      },
    ],
    escalation: [{ target: 'team', waitSeconds: 3600 }],
    ...extra,
  });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    smtp = smtpServer(emails);
    smtpPort = await listen(smtp, 0);
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
      entities,
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
        alerts: {
          webhook: { token: TOKEN },
          escalation: { tick: { milliseconds: 200 } },
          email: {
            host: '127.0.0.1',
            port: smtpPort,
            secure: false,
            from: FROM,
            auth: { user: SMTP_USER, password: SMTP_PASSWORD },
          },
        },
      },
      features: [
        schedulerServiceFactory,
        notifications.factory,
        recordingLogger(logs),
      ],
    });
    const put = await server().put(SETTINGS).set(as(DAVE)).send(settings());
    if (put.status !== 200) {
      throw new Error(`Saving the settings answered ${put.status}`);
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
    await receiver?.stop();
    await new Promise<void>(done => smtp?.close(() => done()));
  });

  it('emails an incident of payment-gateway to the payments-team members who have an address', async () => {
    await alert(
      delivery('payment-failures', {
        severity: 'critical',
        summary: 'Payment failures above 5 %',
      }),
    );
    await until('an email', () => expect(emails).toHaveLength(1));
    const incident = await incidentOf('payment-failures');
    expect(emails[0]).toEqual({
      from: FROM,
      to: ['alice@northwind.example', 'frank@northwind.example'],
      user: SMTP_USER,
      subject:
        '[critical] payment-gateway: Payment failures above 5 % (opened)',
      text: `Incident ${incident.id} of payment-gateway in test: Payment failures above 5 %, opened with 1 firing.\n\nAcknowledge: /catalog/default/component/payment-gateway/alerts?incident=${incident.id}&acknowledge=1\nOpen the incident to resolve or silence it: /catalog/default/component/payment-gateway/alerts?incident=${incident.id}\n`,
    });
    // The in-app message reached all three; Erin, without an address, is named in
    // the log, and no address is.
    await until('the in-app message', () =>
      expect(notifications.sent).toHaveLength(1),
    );
    expect(notifications.sent[0].recipients).toEqual({
      type: 'entity',
      entityRef: [ALICE, ERIN, FRANK],
    });
    expect(logs).toContain(
      'warn Email channel mail: 1 of 3 recipients have no email in the catalog (spec.profile.email) and are skipped: user:default/erin',
    );
    expect(logs.join('\n')).not.toContain('@northwind.example');
  });

  it('tells every channel once that the incident resolved', async () => {
    const incident = await incidentOf('payment-failures');
    expect((await resolve(incident.id)).status).toBe(200);
    await until('the resolved email', () => expect(emails).toHaveLength(2));
    expect(emails[1]).toMatchObject({
      to: ['alice@northwind.example', 'frank@northwind.example'],
      subject:
        '[critical] payment-gateway: Payment failures above 5 % (resolved)',
      text: expect.stringContaining(
        `Incident ${incident.id} of payment-gateway in test: Payment failures above 5 %, resolved with 1 firing.`,
      ),
    });
    await until('the resolved messages', () => {
      expect(titles()).toEqual([
        '[critical] Payment failures above 5 %',
        '[resolved] Payment failures above 5 %',
      ]);
      expect(receiver.calls.map(c => c.body)).toEqual([
        { text: 'Payment failures above 5 % (opened)' },
        { text: 'Payment failures above 5 % (resolved)' },
      ]);
    });
    await new Promise(done => setTimeout(done, 1000));
    expect(emails).toHaveLength(2);
    expect(notifications.sent).toHaveLength(2);
  });

  it('never answers, stores or logs the SMTP password', async () => {
    const answers = [
      await server().get(SETTINGS).set(as(BOB)),
      await server().put(SETTINGS).set(as(DAVE)).send(settings()),
      await server()
        .post(`${SETTINGS}/preview`)
        .set(as(BOB))
        .send({ template: '{{ title }}', subject: '{{ service }}' }),
      await server()
        .get(`${API}/services/default/payment-gateway/incidents`)
        .set(as(ALICE)),
    ];
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(answers[0].body.channels[2]).toEqual({
      id: 'mail',
      type: 'email',
      enabled: true,
      subject: '[{{ severity }}] {{ service }}: {{ title }} ({{ event }})',
      template: expect.stringContaining('Incident {{ id }}'),
    });
    expect(answers[2].body.subject).toBe('payment-gateway');
    const stored = [
      await knex('k2_alert_team_settings').select(),
      await knex('k2_alert_notices').select(),
    ];
    expect(
      JSON.stringify([...answers.map(a => a.body), ...stored, ...logs]),
    ).not.toContain(SMTP_PASSWORD);
  });

  it('logs an SMTP server that is down, still delivers the other channels, and sends no resolved email for what it did not send', async () => {
    await new Promise<void>(done => smtp.close(() => done()));
    const before = logs.length;
    await alert(
      delivery('card-declines', {
        severity: 'critical',
        summary: 'Card declines doubled',
      }),
    );
    await until('the other channels', () => {
      expect(titles()).toContain('[critical] Card declines doubled');
      expect(receiver.calls.map(c => c.body)).toContainEqual({
        text: 'Card declines doubled (opened)',
      });
    });
    const incident = await incidentOf('card-declines');
    await until('the failure in the log', () =>
      expect(logs.slice(before)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^warn Alert channel mail \\(email\\) of ${TEAM} failed for incident ${incident.id}: Email channel mail: the SMTP server 127.0.0.1:${smtpPort} did not take the message: .*ECONNREFUSED`,
          ),
        ),
      ),
    );

    // The server is back; the incident resolves: the channels that told it opened
    // tell it resolved, and email, which did not, stays silent.
    smtp = smtpServer(emails);
    await listen(smtp, smtpPort);
    expect((await resolve(incident.id)).status).toBe(200);
    await until('the resolved messages', () => {
      expect(titles()).toContain('[resolved] Card declines doubled');
      expect(receiver.calls.map(c => c.body)).toContainEqual({
        text: 'Card declines doubled (resolved)',
      });
    });
    await new Promise(done => setTimeout(done, 1000));
    expect(emails).toHaveLength(2);
  });

  it('keeps quiet hours: a warning opened in them is not sent, nor is its resolution; a critical one is, and so is its resolution', async () => {
    const hhmm = (at: Date) => at.toISOString().slice(11, 16);
    const now = Date.now();
    const quietHours = {
      timeZone: 'UTC',
      start: hhmm(new Date(now - 3_600_000)),
      end: hhmm(new Date(now + 3_600_000)),
    };
    const put = await server()
      .put(SETTINGS)
      .set(as(DAVE))
      .send(settings({ quietHours }));
    expect(put.status).toBe(200);
    emails.length = 0;
    notifications.sent.length = 0;
    receiver.calls.length = 0;

    await alert(
      delivery('slow-capture', {
        severity: 'warning',
        summary: 'Slow capture',
      }),
    );
    await alert(
      delivery('ledger-down', { severity: 'critical', summary: 'Ledger down' }),
    );
    await until('the critical incident', () =>
      expect(emails.map(e => e.subject)).toEqual([
        '[critical] payment-gateway: Ledger down (opened)',
      ]),
    );
    const slow = await incidentOf('slow-capture');
    const ledger = await incidentOf('ledger-down');
    expect((await resolve(slow.id)).status).toBe(200);
    expect((await resolve(ledger.id)).status).toBe(200);
    await until('the critical resolution', () =>
      expect(emails.map(e => e.subject)).toEqual([
        '[critical] payment-gateway: Ledger down (opened)',
        '[critical] payment-gateway: Ledger down (resolved)',
      ]),
    );
    await new Promise(done => setTimeout(done, 1000));
    expect(titles()).toEqual([
      '[critical] Ledger down',
      '[resolved] Ledger down',
    ]);
    expect(receiver.calls).toHaveLength(2);
    expect(emails).toHaveLength(2);
  });
});
