import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createServiceFactory,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
} from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { K2MiddlewareInstance } from '@internal/plugin-k2-middleware-store-common';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { createMiddlewareStoreRouter } from '../routes/contract';
import { catalogModuleK2MiddlewareInstances } from './module';

jest.setTimeout(120_000);

const OWNER = 'group:default/payments-team';

function component(name: string, system?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        [ANNOTATION_LOCATION]: 'k2-test:entities',
        [ANNOTATION_ORIGIN_LOCATION]: 'k2-test:entities',
      },
    },
    spec: {
      type: 'service',
      owner: OWNER,
      lifecycle: 'production',
      ...(system ? { system } : {}),
    },
  };
}

/** The services the instances belong to, as a provider gives them to the catalog. */
const services = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'k2-test-services',
  register(env) {
    env.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addEntityProvider({
          getProviderName: () => 'k2-test-services',
          connect: connection =>
            connection.applyMutation({
              type: 'full',
              entities: [
                component('payment-gateway', 'system:default/payments'),
                component('checkout'),
              ].map(entity => ({ entity, locationKey: 'k2-test:entities' })),
            }),
        });
      },
    });
  },
});

/**
 * The Middleware store's `GET /instances` on its validated contract router, over the
 * instances a test sets; `down` answers 503 as a store that cannot read its database.
 */
const store = { down: false, instances: [] as K2MiddlewareInstance[] };
const storeStandIn = createBackendPlugin({
  pluginId: 'k2-middleware-store',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const router = createMiddlewareStoreRouter();
        router.get('/instances', (_req, res) => {
          if (store.down) {
            res.status(503).json({
              error: { name: 'ServiceUnavailableError', message: 'down' },
            });
            return;
          }
          res.json({ items: store.instances });
        });
        httpRouter.use(router);
      },
    });
  },
});

/** A scheduler that runs a task only when the test says so. */
const tasks = new Map<string, SchedulerServiceTaskFunction>();
const manualScheduler = createServiceFactory({
  service: coreServices.scheduler,
  deps: {},
  factory: () => ({
    async scheduleTask(task) {
      tasks.set(task.id, task.fn);
    },
    createScheduledTaskRunner: () => ({
      run: async task => {
        tasks.set(task.id, task.fn);
      },
    }),
    async triggerTask(id) {
      await tasks.get(id)!(new AbortController().signal);
    },
    async cancelTask() {},
    async getScheduledTasks() {
      return [];
    },
  }),
});

function instance(
  name: string,
  overrides: Partial<K2MiddlewareInstance> = {},
): K2MiddlewareInstance {
  return {
    id: `00000000-0000-4000-8000-${String(store.instances.length + 1).padStart(
      12,
      '0',
    )}`,
    name,
    service: 'component:default/payment-gateway',
    owner: OWNER,
    environment: 'test',
    cluster: 'test-a',
    namespace: 'payments',
    template: 'redis-7',
    product: 'redis',
    version: '7.2',
    category: 'cache',
    parameters: { size: 'small' },
    state: 'ready',
    createdBy: 'user:default/alice',
    createdAt: '2026-11-27T01:00:00.000Z',
    bindings: [],
    entityRef: `resource:default/test-${name}`,
    ...overrides,
  };
}

/** Every plugin's log, so a test can count what the provider said. */
const logger = mockServices.logger.mock();
const said = (level: 'warn' | 'info', pattern: RegExp) =>
  logger[level].mock.calls.filter(([message]) => pattern.test(message)).length;

const service = { Authorization: `Bearer ${mockCredentials.service.token()}` };

describe('Middleware instances in the catalog', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  // The catalog's database, closed after the file (the default one stays open, its
  // pool's timer keeping the Jest worker alive).
  let database: Knex | undefined;
  const server = () => request(backend.server);

  beforeAll(async () => {
    database = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        mockServices.database.factory({ knex: database }),
        services,
        storeStandIn,
        catalogModuleK2MiddlewareInstances,
        manualScheduler,
        logger.factory,
        mockServices.rootConfig.factory({
          data: { app: { baseUrl: 'https://k2.example.com' } },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await database?.destroy();
  });

  async function syncCatalog() {
    const run = tasks.get('k2-middleware-instances-to-catalog');
    expect(run).toBeDefined();
    await run!(new AbortController().signal);
  }

  /** The entity at `path` once `done` holds for it (the catalog processes in the background). */
  async function entityWhen(
    path: string,
    done: (entity: Entity | undefined) => boolean,
  ): Promise<Entity | undefined> {
    const deadline = Date.now() + 60_000;
    let last: Entity | undefined;
    do {
      const res = await server()
        .get(`/api/catalog/entities/by-name/${path}`)
        .set(service);
      last = res.status === 200 ? res.body : undefined;
      if (done(last)) return last;
      await new Promise(resolve => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    return last;
  }

  const relatesTo = (type: string, target: string) => (e?: Entity) =>
    !!e?.relations?.some(r => r.type === type && r.targetRef === target);

  it('an instance is a Resource its service and the bound services depend on; a purged one goes', async () => {
    const redis = instance('orders-cache', {
      bindings: ['component:default/checkout'],
    });
    const rejected = instance('big-db', {
      state: 'rejected',
      template: 'mysql-8',
      product: 'mysql',
      category: 'database',
    });
    store.instances = [redis, rejected];
    // The services first, so the run reads their owner and system.
    for (const name of ['payment-gateway', 'checkout']) {
      await entityWhen(`component/default/${name}`, e => e !== undefined);
    }
    await syncCatalog();

    const resource = await entityWhen(
      'resource/default/test-orders-cache',
      relatesTo('dependencyOf', 'component:default/checkout'),
    );
    expect(resource?.spec).toEqual({
      type: 'cache',
      owner: OWNER,
      system: 'system:default/payments',
      dependencyOf: expect.arrayContaining([
        'component:default/payment-gateway',
        'component:default/checkout',
      ]),
    });
    expect(resource?.spec?.dependencyOf).toHaveLength(2);
    expect(resource?.metadata.annotations).toMatchObject({
      'k2.io/middleware-instance-id': redis.id,
      'k2.io/environment': 'test',
      'k2.io/middleware-template': 'redis-7',
      'k2.io/middleware-url': `https://k2.example.com/k2/middleware?instance=${redis.id}`,
    });
    expect(resource?.relations).toEqual(
      expect.arrayContaining([
        { type: 'ownedBy', targetRef: OWNER },
        { type: 'partOf', targetRef: 'system:default/payments' },
      ]),
    );
    for (const name of ['payment-gateway', 'checkout']) {
      const dependent = await entityWhen(
        `component/default/${name}`,
        relatesTo('dependsOn', 'resource:default/test-orders-cache'),
      );
      expect(dependent?.relations).toContainEqual({
        type: 'dependsOn',
        targetRef: 'resource:default/test-orders-cache',
      });
    }
    // A rejected instance never existed and never will.
    const none = await server()
      .get('/api/catalog/entities/by-name/resource/default/test-big-db')
      .set(service);
    expect(none.status).toBe(404);

    // The store cannot be read: the catalog keeps what it had, and the log says so
    // once however many runs fail, then once that it works again.
    store.down = true;
    await syncCatalog();
    await syncCatalog();
    store.down = false;
    const kept = await server()
      .get('/api/catalog/entities/by-name/resource/default/test-orders-cache')
      .set(service);
    expect(kept.status).toBe(200);
    expect(said('warn', /^Middleware instances in the catalog are kept/)).toBe(
      1,
    );
    await syncCatalog();
    expect(said('info', /^Middleware instances could be read again/)).toBe(1);

    // Purged at the end of its retention: no longer listed, no longer in the catalog.
    store.instances = [];
    await syncCatalog();
    const gone = await entityWhen(
      'resource/default/test-orders-cache',
      e => e === undefined,
    );
    expect(gone).toBeUndefined();
    const gateway = await entityWhen(
      'component/default/payment-gateway',
      e => !relatesTo('dependsOn', 'resource:default/test-orders-cache')(e),
    );
    expect(gateway?.relations ?? []).not.toContainEqual({
      type: 'dependsOn',
      targetRef: 'resource:default/test-orders-cache',
    });
  });
});
