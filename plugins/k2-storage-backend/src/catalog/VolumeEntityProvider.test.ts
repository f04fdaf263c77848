import {
  coreServices,
  createServiceFactory,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import request from 'supertest';
import {
  ALICE,
  as,
  DeployMountsStandIn,
  OWNER_GROUP,
  serviceEntity,
  startK2StorageBackend,
} from '../__testUtils__/testBackend';
import { catalogModuleK2Volumes } from './module';

jest.setTimeout(120_000);

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

describe('Volumes in the catalog', () => {
  let cluster: SandboxCluster;
  let backend: Awaited<ReturnType<typeof startK2StorageBackend>>;
  const server = () => request(backend.server);

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    backend = await startK2StorageBackend({
      entities: [basket],
      clusters: [cluster],
      deploy: new DeployMountsStandIn(),
      features: [catalogModuleK2Volumes, manualScheduler],
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test' }] }],
        storage: {
          environments: {
            test: { classes: [{ name: 'nfs', label: 'NFS', kind: 'nfs' }] },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
  });

  async function syncCatalog() {
    const run = tasks.get('k2-volumes-to-catalog');
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

  it('lists every volume to plugins only', async () => {
    const res = await server().get('/api/k2-storage/volumes').set(as(ALICE));
    expect(res.status).toBe(403);
  });

  it('a volume becomes a Resource the service depends on', async () => {
    const created = await server()
      .post('/api/k2-storage/services/default/basket/environments/test/volumes')
      .set(as(ALICE))
      .send({
        name: 'data',
        storageClass: 'nfs',
        size: '5Gi',
        accessMode: 'ReadWriteMany',
      });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const all = await server().get('/api/k2-storage/volumes').set(service);
      if (all.body.items?.length) break;
      await new Promise(resolve => setTimeout(resolve, 100));
    }

    await syncCatalog();
    const resource = await entityWith(
      'resource/default/basket-test-data',
      'dependencyOf',
      'component:default/basket',
    );
    expect(resource.spec).toEqual({
      type: 'volume',
      owner: OWNER_GROUP,
      dependencyOf: ['component:default/basket'],
    });
    expect(resource.metadata.annotations).toMatchObject({
      'k2.io/environment': 'test',
      'k2.io/storage-class': 'nfs',
      'k2.io/volume-size': '5Gi',
    });
    const component = await entityWith(
      'component/default/basket',
      'dependsOn',
      'resource:default/basket-test-data',
    );
    expect(component.relations).toContainEqual(
      expect.objectContaining({
        type: 'dependsOn',
        targetRef: 'resource:default/basket-test-data',
      }),
    );
  });
});
