import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the k2 core plugin beside the Middleware store backend, as the app runs them
import {
  ALICE,
  APPROVER_GROUP,
  BOB,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
// The action is tested against the real Middleware store backend it calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2MiddlewareStorePlugin from '@internal/plugin-k2-middleware-store-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'net';
import { PassThrough } from 'stream';
import { createK2MiddlewareCreateAction } from './middlewareCreateAction';

jest.setTimeout(90_000);

const checkout = serviceEntity('checkout', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/checkout',
});

describe('k2:middleware:create', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let base: string;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
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
      plugin: k2MiddlewareStorePlugin,
      pluginId: 'k2-middleware-store',
      entities: [checkout],
      clusters: [cluster],
      knex,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test' }] },
          {
            name: 'prod',
            production: true,
            clusters: [{ name: 'test' }],
            approval: { required: true, approverGroup: APPROVER_GROUP },
          },
        ],
        middleware: {
          environments: {
            test: { ttlDays: 7, maxTtlDays: 30, retentionDays: 7 },
            prod: { retentionDays: 30 },
          },
        },
      },
    });
    base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  /** Runs the action as `user`; resolves to its outputs and log lines. */
  async function run(input: object, user = ALICE, pluginId?: string) {
    const action = createK2MiddlewareCreateAction({
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async id => `${base}/api/${pluginId ?? id}`,
        getExternalBaseUrl: async id => `${base}/api/${pluginId ?? id}`,
      },
      pollIntervalMs: 100,
    });
    const output: Record<string, unknown> = {};
    const logs: string[] = [];
    await action.handler({
      input,
      output: (key: string, value: unknown) => {
        output[key] = value;
      },
      logger: { info: (m: string) => logs.push(m) },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () => mockCredentials.user(user),
      workspacePath: '/tmp',
      checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
      createTemporaryDirectory: async () => '/tmp',
    } as any);
    return { output, logs };
  }

  /** The instance's StatefulSets in the sandbox, by the middleware label. */
  async function statefulSets(name: string) {
    const response = await api(cluster).get(
      `/apis/apps/v1/namespaces/shop/statefulsets?labelSelector=k2.io/middleware%3D${name}`,
    );
    return response.body.items as Array<{
      metadata: { name: string };
      status: { readyReplicas?: number };
    }>;
  }

  it('creates the instance as the template runner and waits until it is ready', async () => {
    const { output, logs } = await run({
      entityRef: 'component:default/checkout',
      environment: 'test',
      template: 'redis-7',
      name: 'checkout-cache',
      ttlDays: 14,
    });
    expect(output).toEqual({
      instanceId: expect.any(String),
      state: 'ready',
      entityRef: 'resource:default/test-checkout-cache',
    });
    expect(logs[0]).toBe(
      'Middleware instance checkout-cache (redis-7) of component:default/checkout in test: creating',
    );
    const [sts] = await statefulSets('checkout-cache');
    expect(sts.status.readyReplicas).toBe(1);
    // The instance is alice's request, with the time to live the step asked for.
    const instance = await fetch(
      `${base}/api/k2-middleware-store/instances/${output.instanceId}`,
      {
        headers: {
          Authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
        },
      },
    ).then(r => r.json());
    expect(instance.createdBy).toBe(ALICE);
    const days = (Date.parse(instance.expiresAt) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(14);
  });

  it('ends at once with awaiting-approval where the environment needs approval, creating nothing', async () => {
    const { output, logs } = await run({
      entityRef: 'component:default/checkout',
      environment: 'prod',
      template: 'redis-7',
      name: 'checkout-sessions',
      reason: 'Sessions of the new checkout',
    });
    expect(output).toMatchObject({ state: 'awaiting-approval' });
    expect(logs).toContain(
      'checkout-sessions waits for an approver of prod; it is created once approved on the Middleware tab',
    );
    expect(await statefulSets('checkout-sessions')).toEqual([]);
  });

  it('returns at creating without waiting when told not to', async () => {
    const { output } = await run({
      entityRef: 'component:default/checkout',
      environment: 'test',
      template: 'redis-7',
      name: 'checkout-queue',
      wait: false,
    });
    expect(output).toMatchObject({ state: 'creating' });
  });

  it('fails the step with the backend’s refusal of a user of another team', async () => {
    await expect(
      run(
        {
          entityRef: 'component:default/checkout',
          environment: 'test',
          template: 'redis-7',
          name: 'bobs-cache',
        },
        BOB,
      ),
    ).rejects.toThrow(
      'You may not create middleware for component:default/checkout',
    );
    expect(await statefulSets('bobs-cache')).toEqual([]);
  });

  it('fails the step with the backend’s message naming a parameter the template refuses', async () => {
    await expect(
      run({
        entityRef: 'component:default/checkout',
        environment: 'test',
        template: 'redis-7',
        name: 'too-many',
        parameters: { replicas: 2 },
      }),
    ).rejects.toThrow('Template redis-7: parameters.replicas must be 1');
    expect(await statefulSets('too-many')).toEqual([]);
  });

  it('fails the step naming the taken name when the environment has an instance of that name', async () => {
    await expect(
      run({
        entityRef: 'component:default/checkout',
        environment: 'test',
        template: 'redis-7',
        name: 'checkout-cache',
      }),
    ).rejects.toThrow(
      'The name checkout-cache is taken in test; choose another',
    );
  });

  it('logs and creates nothing where the Middleware store is not installed, but fails on the store’s own answers about an unknown service', async () => {
    // The same backend, asked under a plugin id nothing serves: as a portal without
    // the Middleware store answers.
    const skipped = await run(
      {
        entityRef: 'component:default/checkout',
        environment: 'test',
        template: 'redis-7',
        name: 'checkout-absent',
      },
      ALICE,
      'k2-middleware-store-not-installed',
    );
    expect(skipped.output).toEqual({ state: 'not-installed' });
    expect(skipped.logs).toEqual([
      'The Middleware store is not installed in this portal (its API answered 404); no instance was created',
    ]);
    expect(await statefulSets('checkout-absent')).toEqual([]);

    await expect(
      run({
        entityRef: 'component:default/nobody-here',
        environment: 'test',
        template: 'redis-7',
        name: 'nobody-cache',
      }),
    ).rejects.toMatchObject({
      statusCode: 403,
      body: { error: { name: 'NotAllowedError' } },
    });
  });

  it('binds the instance to the service when asked, so its next release receives the env vars', async () => {
    const { output, logs } = await run({
      entityRef: 'component:default/checkout',
      environment: 'test',
      template: 'redis-7',
      name: 'checkout-bound',
      bind: true,
      wait: false,
    });
    expect(logs).toContain(
      'checkout-bound is bound to component:default/checkout: its next release in test receives the connection env vars',
    );
    const instance = await fetch(
      `${base}/api/k2-middleware-store/instances/${output.instanceId}`,
      {
        headers: {
          Authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
        },
      },
    ).then(r => r.json());
    expect(instance.bindings).toEqual(['component:default/checkout']);
  });
});
