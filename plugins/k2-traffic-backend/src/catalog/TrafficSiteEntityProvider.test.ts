import {
  coreServices,
  createServiceFactory,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { itWithNginx } from '../__testUtils__/nginx';
import {
  ALICE,
  as,
  OWNER_GROUP,
  serviceEntity,
  startK2TrafficBackend,
} from '../__testUtils__/testBackend';
import { catalogModuleK2TrafficSites } from './module';

jest.setTimeout(300_000);

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
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

const service = { Authorization: `Bearer ${mockCredentials.service.token()}` };

describe('Nginx sites in the catalog', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2TrafficBackend>>;
  const server = () => request(backend.server);

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2TrafficBackend({
      entities: [basket],
      clusters: [cluster],
      knex,
      features: [catalogModuleK2TrafficSites, manualScheduler],
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test' }],
            wildcardDomain: 'k2.example.com',
          },
        ],
        traffic: {
          clusters: [
            {
              name: 'edge-test',
              environments: ['test'],
              hosts: ['nginx-1'],
              agentToken: 'test-cluster-agent-token-0123456789abcdef',
            },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  /** Runs the provider's task now, as the scheduler would on its next tick. */
  async function syncCatalog() {
    const run = tasks.get('k2-traffic-sites-to-catalog');
    expect(run).toBeDefined();
    await run!(new AbortController().signal);
  }

  /** The entity once the catalog has processed it with `relation`, or the last seen. */
  async function entityWith(path: string, relation: string, target: string) {
    const deadline = Date.now() + 60_000;
    let last: request.Response;
    do {
      last = await server()
        .get(`/api/catalog/entities/by-name/${path}`)
        .set(service);
      const relations: Array<{ type: string; targetRef: string }> =
        last.body?.relations ?? [];
      if (relations.some(r => r.type === relation && r.targetRef === target)) {
        return last.body;
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    return last.body;
  }

  itWithNginx(
    'a published site becomes a Resource the service depends on',
    async () => {
      await syncCatalog();
      const before = await server()
        .get('/api/catalog/entities/by-name/resource/default/basket-test-site')
        .set(service);
      expect(before.status).toBe(404);

      const published = await server()
        .post(
          '/api/k2-traffic/services/default/basket/environments/test/site/versions',
        )
        .set(as(ALICE))
        .send({
          site: {
            template: 'default',
            domains: ['basket.example.com'],
            upstreams: [
              { name: 'app', members: [{ address: '10.1.0.1', port: 8080 }] },
            ],
            locations: [{ path: '/', upstream: 'app' }],
          },
          message: 'First site',
        });
      expect(published.status).toBe(201);

      const listed = await server().get('/api/k2-traffic/sites').set(as(ALICE));
      expect(listed.body.items).toEqual([
        expect.objectContaining({
          service: 'component:default/basket',
          environment: 'test',
          cluster: 'edge-test',
          version: 1,
          serverNames: ['basket.test.k2.example.com', 'basket.example.com'],
        }),
      ]);

      await syncCatalog();
      const resource = await entityWith(
        'resource/default/basket-test-site',
        'dependencyOf',
        'component:default/basket',
      );
      expect(resource.spec).toEqual({
        type: 'nginx-site',
        owner: OWNER_GROUP,
        dependencyOf: ['component:default/basket'],
      });
      expect(resource.metadata.annotations).toMatchObject({
        'k2.io/nginx-cluster': 'edge-test',
        'k2.io/traffic-version': '1',
      });
      const component = await entityWith(
        'component/default/basket',
        'dependsOn',
        'resource:default/basket-test-site',
      );
      expect(component.relations).toContainEqual(
        expect.objectContaining({
          type: 'dependsOn',
          targetRef: 'resource:default/basket-test-site',
        }),
      );
    },
  );
});
