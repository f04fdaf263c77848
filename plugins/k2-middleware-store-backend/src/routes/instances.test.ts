import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  ALICE,
  APPROVER_GROUP,
  as,
  BOB,
  CAROL,
  ERIN,
  OTHER_TEAM,
  serviceEntity,
  startK2MiddlewareBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

/** Every line any plugin logs, audit events included (the auditor logs through it). */
const logLines: string[] = [];

function recordingLogger(meta: Record<string, unknown> = {}): LoggerService {
  const record = (level: string) => (message: string, extra?: unknown) => {
    logLines.push(
      `${level} ${message} ${JSON.stringify({ ...meta, extra }, (_k, v) =>
        v instanceof Error ? `${v.name}: ${v.message} ${v.stack}` : v,
      )}`,
    );
  };
  return {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    child: more => recordingLogger({ ...meta, ...more }),
  };
}

// The test backend with a root logger that keeps every line, so the test can search
// the backend's log and audit events for a generated password.
jest.mock('@backstage/backend-test-utils', () => {
  const actual = jest.requireActual('@backstage/backend-test-utils');
  return {
    ...actual,
    startTestBackend: (options: { features: unknown[] }) =>
      actual.startTestBackend({
        ...options,
        features: [
          ...options.features,
          createServiceFactory({
            service: coreServices.rootLogger,
            deps: {},
            factory: () => recordingLogger() as any,
          }),
        ],
      }),
  };
});

const gateway = serviceEntity('payment-gateway', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'payments',
});
/** The same team's service, in test only. */
const orders = serviceEntity('orders', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'orders',
});
/** The same team's service, in prod only. */
const reports = serviceEntity('reports', {
  'k2.io/environments': 'prod',
  'k2.io/namespace': 'reports',
});
/** Another team's service. */
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-middleware-store';
const INSTANCES = `${API}/services/default/payment-gateway/instances`;

describe('middleware instances, on a test and a prod sandbox cluster', () => {
  let test: SandboxCluster;
  let prod: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2MiddlewareBackend>>;
  const server = () => request(backend.server);
  /** Every response body of the scenario, as text. */
  const bodies: string[] = [];
  const seen = <T extends { text: string }>(response: T) => {
    bodies.push(response.text);
    return response;
  };
  /** The instance every test after the first uses. */
  let cache: { id: string };

  const rows = async () =>
    JSON.stringify(
      await Promise.all(
        [
          'k2_middleware_instances',
          'k2_middleware_bindings',
          'k2_middleware_backups',
          'k2_middleware_events',
        ].map(table => knex(table).select('*')),
      ),
    );

  async function secretData(
    cluster: SandboxCluster,
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined> {
    const secret = await api(cluster).get(
      `/api/v1/namespaces/${namespace}/secrets/${name}`,
    );
    if (secret.status === 404) return undefined;
    return Object.fromEntries(
      Object.entries(secret.body.data as Record<string, string>).map(
        ([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')],
      ),
    );
  }

  async function stateOf(id: string) {
    const response = await server()
      .get(`${API}/instances/${id}`)
      .set(as(ALICE));
    return response.body;
  }

  beforeAll(async () => {
    [test, prod] = ['test-1', 'prod-1'].map(
      name =>
        new SandboxCluster({
          name,
          tokens: [`${name}-token`],
          timeScale: 0.05,
          bookmarkIntervalMs: 200,
        }),
    );
    await Promise.all([test.listen(0), prod.listen(0)]);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2MiddlewareBackend({
      entities: [gateway, orders, reports, ledger],
      clusters: [test, prod],
      knex,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test-1' }] },
          {
            name: 'prod',
            production: true,
            approval: { required: true, approverGroup: APPROVER_GROUP },
            clusters: [{ name: 'prod-1' }],
          },
        ],
        middleware: {
          lifecycle: { frequency: { minutes: 30 } },
          environments: {
            test: {
              ttlDays: 7,
              maxTtlDays: 30,
              reminderDays: 2,
              retentionDays: 7,
            },
            prod: { retentionDays: 30 },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await Promise.all([test, prod].filter(Boolean).map(c => c.stop()));
  });

  it('shows the templates and each environment’s policy with its cluster’s storage classes', async () => {
    const templates = seen(await server().get(`${API}/templates`).set(as(BOB)));
    expect(templates.status).toBe(200);
    expect(templates.body.items).toContainEqual(
      expect.objectContaining({
        name: 'redis-7',
        product: 'redis',
        category: 'cache',
        backup: true,
      }),
    );
    const redis = await server().get(`${API}/templates/redis-7`).set(as(BOB));
    expect(redis.body).toMatchObject({
      name: 'redis-7',
      presets: expect.arrayContaining([
        expect.objectContaining({ name: 'small' }),
      ]),
      connection: expect.arrayContaining([
        {
          name: 'REDIS_PASSWORD',
          secret: true,
          description: expect.any(String),
        },
      ]),
    });
    expect(
      (await server().get(`${API}/templates/oracle-19`).set(as(BOB))).status,
    ).toBe(404);

    // Every language's text comes with the English: the list has each language's
    // title and description, one template every field.
    const listed = templates.body.items.find(
      (t: { name: string }) => t.name === 'mysql-8',
    );
    expect(listed.description).toMatch(/^MySQL 8\.0 Community Server/);
    expect(listed.i18n).toEqual({
      zh: {
        title: 'MySQL 8',
        description: expect.stringContaining('社区版'),
      },
    });
    expect(redis.body.readme).toContain('**Sentinel**');
    expect(redis.body.parameters.properties.mode.title).toBe('Mode');
    expect(redis.body.i18n.zh).toMatchObject({
      title: 'Redis 7',
      readme: expect.stringContaining('**哨兵**'),
      parameters: {
        mode: { title: '模式', enum: { sentinel: '哨兵' } },
        storageSize: { description: '每个 Pod 数据卷的容量（1Gi 到 100Gi）。' },
      },
      presets: { small: '小型', medium: '中型', large: '大型' },
      connection: { REDIS_PASSWORD: 'Redis（及 Sentinel）的密码。' },
    });

    const environments = await server().get(`${API}/environments`).set(as(BOB));
    expect(environments.body.items).toEqual([
      {
        name: 'test',
        title: expect.any(String),
        approvalRequired: false,
        ttlDays: 7,
        maxTtlDays: 30,
        reminderDays: 2,
        retentionDays: 7,
        storageClasses: expect.arrayContaining([
          { name: 'nfs', expandable: true },
          { name: 'standard', expandable: false },
        ]),
      },
      {
        name: 'prod',
        title: expect.any(String),
        approvalRequired: true,
        retentionDays: 30,
        storageClasses: expect.arrayContaining([
          { name: 'nfs', expandable: true },
        ]),
      },
    ]);
  });

  it('answers 400 to an id that is not a UUID, before any database sees it', async () => {
    const response = await server()
      .get(`${API}/instances/not-a-uuid`)
      .set(as(ALICE));
    expect(response.status).toBe(400);
  });

  it('creates a Redis in test at once: its Secret with a generated password, its objects labelled as middleware, then ready', async () => {
    const created = seen(
      await server()
        .post(INSTANCES)
        .set(as(ALICE))
        .send({
          environment: 'test',
          template: 'redis-7',
          name: 'cache',
          parameters: { storageClass: 'nfs' },
        }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'cache',
      service: 'component:default/payment-gateway',
      owner: 'group:default/shop-team',
      environment: 'test',
      cluster: 'test-1',
      namespace: 'payments',
      template: 'redis-7',
      category: 'cache',
      parameters: { mode: 'standalone', size: 'small', storageSize: '5Gi' },
      state: 'creating',
      secretName: 'cache-credentials',
      createdBy: ALICE,
      bindings: [],
      entityRef: 'resource:default/test-cache',
      expiring: false,
      renewals: 0,
    });
    cache = created.body;
    const days = (Date.parse(created.body.expiresAt) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const data = await secretData(test, 'payments', 'cache-credentials');
    expect(data?.password).toMatch(/^[A-Za-z0-9]{32}$/);
    const sts = await api(test).get(
      '/apis/apps/v1/namespaces/payments/statefulsets/cache',
    );
    expect(sts.body.metadata.labels).toMatchObject({
      'k2.io/middleware': 'cache',
      'k2.io/environment': 'test',
      'app.kubernetes.io/managed-by': 'k2',
    });
    expect(sts.body.metadata.labels['k2.io/service']).toBeUndefined();

    const ready = await poll('the instance ready', async () => {
      const body = await stateOf(cache.id);
      return body.state === 'ready' && body;
    });
    expect(ready).toMatchObject({
      replicas: { desired: 1, ready: 1 },
      events: [expect.objectContaining({ type: 'created', actor: ALICE })],
    });
    // The same password: a second look never makes a new one.
    expect(await secretData(test, 'payments', 'cache-credentials')).toEqual(
      data,
    );
  });

  it.each([
    [
      'another team’s member',
      BOB,
      { environment: 'test', template: 'redis-7', name: 'bobs' },
      403,
      'You may not create middleware for component:default/payment-gateway',
    ],
    [
      'a name in use',
      ALICE,
      { environment: 'test', template: 'redis-7', name: 'cache' },
      409,
      'The name cache is taken in test',
    ],
    [
      'an unknown template',
      ALICE,
      { environment: 'test', template: 'oracle-19', name: 'legacy' },
      404,
      'The store has no template oracle-19',
    ],
    [
      'storage of 100Ti',
      ALICE,
      {
        environment: 'test',
        template: 'redis-7',
        name: 'huge',
        parameters: { storageSize: '100Ti' },
      },
      400,
      'parameters.storageSize 100Ti is outside 1Gi to 100Gi',
    ],
    [
      '50 replicas',
      ALICE,
      {
        environment: 'test',
        template: 'redis-7',
        name: 'many',
        parameters: { mode: 'sentinel', replicas: 50 },
      },
      400,
      'parameters.replicas',
    ],
    [
      'a time to live of 999 days',
      ALICE,
      { environment: 'test', template: 'redis-7', name: 'old', ttlDays: 999 },
      400,
      'ttlDays',
    ],
    [
      'a time to live past the cap',
      ALICE,
      { environment: 'test', template: 'redis-7', name: 'old', ttlDays: 31 },
      400,
      'ttlDays 31 passes the cap of 30 days in test',
    ],
    [
      'a storage class the cluster does not have',
      ALICE,
      {
        environment: 'test',
        template: 'redis-7',
        name: 'gold',
        parameters: { storageClass: 'gold' },
      },
      400,
      "cluster 'test-1' has no StorageClass gold",
    ],
  ])('refuses a creation by %s', async (_what, user, body, status, message) => {
    const refused = seen(
      await server().post(INSTANCES).set(as(user)).send(body),
    );
    expect(refused.status).toBe(status);
    expect(refused.body.error.message).toContain(message);
    const names = (await knex('k2_middleware_instances').select('name')).map(
      r => r.name,
    );
    expect(names).toEqual(['cache']);
  });

  it('renews up to the cap, for owners only', async () => {
    const renewed = seen(
      await server()
        .post(`${API}/instances/${cache.id}/renew`)
        .set(as(ALICE))
        .send({ days: 30 }),
    );
    expect(renewed.status).toBe(200);
    expect(renewed.body.renewals).toBe(1);
    const days = (Date.parse(renewed.body.expiresAt) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(29.9);

    const past = seen(
      await server()
        .post(`${API}/instances/${cache.id}/renew`)
        .set(as(ALICE))
        .send({ days: 31 }),
    );
    expect(past.status).toBe(400);
    expect(past.body.error.message).toBe(
      '31 days passes the cap of 30 days from now in test',
    );
    const bob = await server()
      .post(`${API}/instances/${cache.id}/renew`)
      .set(as(BOB))
      .send({ days: 1 });
    expect(bob.status).toBe(403);
    expect((await stateOf(cache.id)).renewals).toBe(1);
  });

  it('grows storage on an expandable class, never shrinks it', async () => {
    const grown = seen(
      await server()
        .post(`${API}/instances/${cache.id}/resize`)
        .set(as(ALICE))
        .send({ storageSize: '8Gi' }),
    );
    expect(grown.status).toBe(200);
    expect(grown.body.parameters.storageSize).toBe('8Gi');
    const pvc = await api(test).get(
      '/api/v1/namespaces/payments/persistentvolumeclaims/data-cache-0',
    );
    expect(pvc.body.spec.resources.requests.storage).toBe('8Gi');

    const shrink = await server()
      .post(`${API}/instances/${cache.id}/resize`)
      .set(as(ALICE))
      .send({ storageSize: '2Gi' });
    expect(shrink.status).toBe(400);
    expect(shrink.body.error.message).toContain('storageSize only grows');
    // Standalone Redis has one replica.
    const replicas = await server()
      .post(`${API}/instances/${cache.id}/resize`)
      .set(as(ALICE))
      .send({ replicas: 3 });
    expect(replicas.status).toBe(400);
  });

  it('shows the connection with the password to owners only', async () => {
    const password = (await secretData(test, 'payments', 'cache-credentials'))!
      .password;
    const connection = await server()
      .get(`${API}/instances/${cache.id}/connection`)
      .set(as(ALICE));
    expect(connection.status).toBe(200);
    expect(connection.headers['cache-control']).toBe('no-store');
    expect(connection.body).toEqual({
      host: 'cache.payments.svc',
      port: 6379,
      uri: `redis://:${password}@cache.payments.svc:6379/0`,
      env: expect.arrayContaining([
        { name: 'REDIS_HOST', value: 'cache.payments.svc', secret: false },
        { name: 'REDIS_PASSWORD', value: password, secret: true },
      ]),
    });
    const bob = seen(
      await server()
        .get(`${API}/instances/${cache.id}/connection`)
        .set(as(BOB)),
    );
    expect(bob.status).toBe(403);
  });

  it('binds to the same team’s services in the instance’s environment only, copying the Secret where they run', async () => {
    const bind = (service: string, user = ALICE) =>
      server()
        .put(`${API}/instances/${cache.id}/bindings/default/${service}`)
        .set(as(user));
    const otherTeam = seen(await bind('ledger'));
    expect(otherTeam.status).toBe(403);
    expect(otherTeam.body.error.message).toContain('is not owned by');
    const otherEnvironment = seen(await bind('reports'));
    expect(otherEnvironment.status).toBe(400);
    expect(otherEnvironment.body.error.message).toContain(
      "does not run in 'test'",
    );
    expect((await bind('orders', BOB)).status).toBe(403);
    expect(await secretData(test, 'finance', 'k2-mw-cache')).toBeUndefined();

    const bound = seen(await bind('orders'));
    expect(bound.status).toBe(200);
    expect(bound.body.bindings).toEqual(['component:default/orders']);
    expect(await secretData(test, 'orders', 'k2-mw-cache')).toEqual(
      await secretData(test, 'payments', 'cache-credentials'),
    );
    expect((await bind('orders')).status).toBe(409);

    const env = seen(
      await server()
        .get(`${API}/services/default/orders/environments/test/bindings`)
        .set(as(BOB)),
    );
    expect(env.body).toEqual({
      items: [
        {
          instance: 'cache',
          entityRef: 'resource:default/test-cache',
          env: expect.arrayContaining([
            { name: 'REDIS_HOST', value: 'cache.payments.svc' },
            {
              name: 'REDIS_PASSWORD',
              secretKeyRef: { name: 'k2-mw-cache', key: 'password' },
            },
          ]),
        },
      ],
    });
    const listed = seen(
      await server()
        .get(`${API}/services/default/orders/instances`)
        .set(as(BOB)),
    );
    expect(listed.body.items.map((i: { name: string }) => i.name)).toEqual([
      'cache',
    ]);
  });

  it('refuses deleting a bound instance, and deletes it once unbound', async () => {
    const bound = seen(
      await server().delete(`${API}/instances/${cache.id}`).set(as(ALICE)),
    );
    expect(bound.status).toBe(409);
    expect(bound.body.error.message).toBe(
      'cache is bound to component:default/orders; unbind it first',
    );
    expect(
      (await server().delete(`${API}/instances/${cache.id}`).set(as(BOB)))
        .status,
    ).toBe(403);

    const unbound = seen(
      await server()
        .delete(`${API}/instances/${cache.id}/bindings/default/orders`)
        .set(as(ALICE)),
    );
    expect(unbound.status).toBe(200);
    expect(unbound.body.bindings).toEqual([]);
    expect(await secretData(test, 'orders', 'k2-mw-cache')).toBeUndefined();
    expect(
      (
        await server()
          .get(`${API}/services/default/orders/environments/test/bindings`)
          .set(as(ALICE))
      ).body,
    ).toEqual({ items: [] });

    const deleting = seen(
      await server().delete(`${API}/instances/${cache.id}`).set(as(ALICE)),
    );
    expect(deleting.status).toBe(202);
    expect(deleting.body.state).toBe('deleting');
    const deleted = await poll(
      'the instance deleted after its backup',
      async () => {
        const body = await stateOf(cache.id);
        return body.state === 'deleted' && body;
      },
      90_000,
    );
    seen({ text: JSON.stringify(deleted) });
    expect(deleted.backup).toMatchObject({
      reason: 'deleted',
      volumes: ['data-cache-0'],
    });
    // The Secret stays for a restore.
    expect(
      await secretData(test, 'payments', 'cache-credentials'),
    ).toBeDefined();
  });

  it('restores a deleted instance from its backup, with the same Secret', async () => {
    const password = (await secretData(test, 'payments', 'cache-credentials'))!
      .password;
    expect(
      (await server().post(`${API}/instances/${cache.id}/restore`).set(as(BOB)))
        .status,
    ).toBe(403);
    const restoring = seen(
      await server()
        .post(`${API}/instances/${cache.id}/restore`)
        .set(as(ALICE)),
    );
    expect(restoring.status).toBe(202);
    expect(restoring.body.state).toBe('restoring');
    const ready = await poll(
      'the instance ready again',
      async () => {
        const body = await stateOf(cache.id);
        return body.state === 'ready' && body;
      },
      90_000,
    );
    seen({ text: JSON.stringify(ready) });
    expect(ready.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['deleting', 'deleted', 'restoring']),
    );
    expect(
      (await secretData(test, 'payments', 'cache-credentials'))!.password,
    ).toBe(password);
    const again = seen(
      await server()
        .post(`${API}/instances/${cache.id}/restore`)
        .set(as(ALICE)),
    );
    expect(again.status).toBe(409);
  });

  it('upgrades only to a template the current one names', async () => {
    const refused = seen(
      await server()
        .post(`${API}/instances/${cache.id}/upgrade`)
        .set(as(ALICE))
        .send({ template: 'mysql-8' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /^redis-7 upgrades to .*, not mysql-8$/,
    );
  });

  it('upgrades Redis 6 to Redis 7 in place, keeping its Secret', async () => {
    const legacy = seen(
      await server()
        .post(INSTANCES)
        .set(as(ALICE))
        .send({ environment: 'test', template: 'redis-6', name: 'legacy' }),
    );
    expect(legacy.status).toBe(201);
    const before = await secretData(test, 'payments', 'legacy-credentials');
    const upgraded = seen(
      await server()
        .post(`${API}/instances/${legacy.body.id}/upgrade`)
        .set(as(ALICE))
        .send({ template: 'redis-7' }),
    );
    expect(upgraded.status).toBe(200);
    expect(upgraded.body).toMatchObject({
      template: 'redis-7',
      version: '7.2',
    });
    const sts = await api(test).get(
      '/apis/apps/v1/namespaces/payments/statefulsets/legacy',
    );
    expect(
      sts.body.spec.template.spec.containers.map(
        (c: { image: string }) => c.image,
      ),
    ).toContain('redis:7.2.5');
    expect(await secretData(test, 'payments', 'legacy-credentials')).toEqual(
      before,
    );
  });

  it('keeps a production instance waiting for an approver who is not its requester', async () => {
    const requested = seen(
      await server().post(INSTANCES).set(as(ERIN)).send({
        environment: 'prod',
        template: 'mysql-8',
        name: 'orders-db',
        reason: 'order history',
      }),
    );
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({
      state: 'awaiting-approval',
      cluster: 'prod-1',
      approval: { requestedBy: ERIN, reason: 'order history' },
    });
    expect(requested.body.expiresAt).toBeUndefined();
    const { id } = requested.body;
    expect(
      await secretData(prod, 'payments', 'orders-db-credentials'),
    ).toBeUndefined();
    expect(
      (
        await api(prod).get(
          '/apis/apps/v1/namespaces/payments/statefulsets/orders-db',
        )
      ).status,
    ).toBe(404);

    // Erin is an approver too, but asked for it; Alice is no approver.
    for (const user of [ERIN, ALICE]) {
      const refused = seen(
        await server()
          .post(`${API}/instances/${id}/approve`)
          .set(as(user))
          .send({}),
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe(
        'You may not approve orders-db: approvers of prod decide, never its requester',
      );
    }
    const approved = seen(
      await server()
        .post(`${API}/instances/${id}/approve`)
        .set(as(CAROL))
        .send({ comment: 'fine' }),
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'creating',
      approval: { decision: 'approved', decidedBy: CAROL, comment: 'fine' },
    });
    const secret = await secretData(prod, 'payments', 'orders-db-credentials');
    expect(secret?.['root-password']).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret?.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(
      (
        await server()
          .post(`${API}/instances/${id}/approve`)
          .set(as(CAROL))
          .send({})
      ).status,
    ).toBe(409);
  });

  it('rejects a production instance, and withdrawing it frees its name', async () => {
    const requested = seen(
      await server()
        .post(INSTANCES)
        .set(as(ALICE))
        .send({ environment: 'prod', template: 'redis-7', name: 'scratch' }),
    );
    const { id } = requested.body;
    const rejected = seen(
      await server()
        .post(`${API}/instances/${id}/reject`)
        .set(as(CAROL))
        .send({ comment: 'use the shared cache' }),
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      approval: { decision: 'rejected', decidedBy: CAROL },
    });
    expect(
      await secretData(prod, 'payments', 'scratch-credentials'),
    ).toBeUndefined();
    const withdrawn = seen(
      await server().delete(`${API}/instances/${id}`).set(as(ALICE)),
    );
    expect(withdrawn.status).toBe(202);
    expect(
      (await server().get(`${API}/instances/${id}`).set(as(ALICE))).status,
    ).toBe(404);
    const again = seen(
      await server()
        .post(INSTANCES)
        .set(as(ALICE))
        .send({ environment: 'prod', template: 'redis-7', name: 'scratch' }),
    );
    expect(again.status).toBe(201);
    expect(
      (
        await server()
          .delete(`${API}/instances/${again.body.id}`)
          .set(as(ALICE))
      ).status,
    ).toBe(202);
  });

  it('never puts a generated password in the database, a response, the activity log or a log line', async () => {
    const passwords = [
      ...Object.values(
        (await secretData(test, 'payments', 'cache-credentials'))!,
      ),
      ...Object.values(
        (await secretData(prod, 'payments', 'orders-db-credentials'))!,
      ),
      ...Object.values(
        (await secretData(test, 'payments', 'legacy-credentials'))!,
      ),
    ];
    expect(passwords.length).toBeGreaterThanOrEqual(2);
    const lists = [
      await server().get(`${API}/instances`).set(as(BOB)),
      await server().get(INSTANCES).set(as(BOB)),
      await server().get(`${API}/instances?environment=prod`).set(as(BOB)),
    ];
    expect(lists[0].body.items.map((i: { name: string }) => i.name)).toEqual([
      'orders-db',
      'legacy',
      'cache',
    ]);
    const activity = await server()
      .get('/api/k2/services/default/payment-gateway/activity?limit=100')
      .set(as(ALICE));
    expect(activity.status).toBe(200);
    expect(
      activity.body.items.map((e: { action: string }) => e.action),
    ).toEqual(
      expect.arrayContaining([
        'middleware-create',
        'middleware-renew',
        'middleware-bind',
        'middleware-delete',
        'middleware-approve',
        'middleware-upgrade',
        'middleware-restore',
      ]),
    );
    const database = await rows();
    const texts = [
      database,
      activity.text,
      ...lists.map(l => l.text),
      ...bodies,
    ];
    expect(logLines.some(line => line.includes('middleware-create'))).toBe(
      true,
    );
    for (const password of passwords) {
      const base64 = Buffer.from(password).toString('base64');
      for (const text of texts) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(base64);
      }
      expect(logLines.filter(line => line.includes(password))).toEqual([]);
      expect(logLines.filter(line => line.includes(base64))).toEqual([]);
    }
  });
});
