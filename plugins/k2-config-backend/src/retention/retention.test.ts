import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  ALICE,
  as,
  deployMountsStand,
  serviceEntity,
  startK2ConfigBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});

const FILES = '/api/k2-config/services/default/basket/environments/test/files';
const APP = `${FILES}/application.yaml`;
const SECRETS = `${FILES}/db.properties`;

/** The test's scheduler: tasks run only when the test triggers them. */
const scheduler = mockServices.scheduler() as SchedulerService & {
  factory(options: {
    skipTaskRunOnStartup: boolean;
  }): ServiceFactory<SchedulerService, 'plugin', 'singleton'>;
};

describe('config retention, on two sandbox clusters', () => {
  let clusters: SandboxCluster[];
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2ConfigBackend>>;
  const deploy = deployMountsStand();
  const server = () => request(backend.server);

  /** The objects of a file in a cluster, by name. */
  async function objects(
    cluster: SandboxCluster,
    file: string,
    kind: 'configmaps' | 'secrets',
  ) {
    const list = await api(cluster).get(
      `/api/v1/namespaces/shop/${kind}?labelSelector=${encodeURIComponent(
        `k2.io/config-file=${file}`,
      )}`,
    );
    return (list.body.items as Array<{ metadata: { name: string } }>)
      .map(o => o.metadata.name)
      .sort();
  }

  /** Version number → [object, collected], of every version of a file. */
  async function versions(path: string) {
    const list = await server().get(`${path}/versions`).set(as(ALICE));
    return Object.fromEntries(
      list.body.items.map(
        (v: { number: number; object: string; collected: boolean }) => [
          v.number,
          [v.object, v.collected],
        ],
      ),
    );
  }

  async function save(path: string, content: string, baseVersion: number) {
    const response = await server()
      .post(`${path}/versions`)
      .set(as(ALICE))
      .send({ content, baseVersion });
    expect(response.status).toBe(201);
  }

  beforeAll(async () => {
    clusters = ['test-a', 'test-b'].map(
      name =>
        new SandboxCluster({
          name,
          tokens: [`${name}-token`],
          timeScale: 0.1,
          bookmarkIntervalMs: 200,
        }),
    );
    await Promise.all(clusters.map(c => c.listen(0)));
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2ConfigBackend({
      entities: [basket],
      clusters,
      knex,
      features: [
        deploy.feature,
        scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test-a' }, { name: 'test-b' }],
          },
        ],
        config: {
          retention: { keepVersions: 2, minAge: { milliseconds: 1 } },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await Promise.all((clusters ?? []).map(c => c.stop()));
  });

  it('removes the objects of old versions no release mounts and no kept version shares, marking them collected', async () => {
    const created = await server().post(FILES).set(as(ALICE)).send({
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/app/application.yaml',
      content: 'v: 1\n',
    });
    expect(created.status).toBe(201);
    await save(APP, 'v: 2\n', 1);
    await save(APP, 'v: 3\n', 2);
    await save(APP, 'v: 4\n', 3);
    // Version 5 has version 1's content, so its object.
    expect(
      (await server().post(`${APP}/versions/1/restore`).set(as(ALICE)).send({}))
        .status,
    ).toBe(201);
    const secret = await server().post(FILES).set(as(ALICE)).send({
      name: 'db.properties',
      format: 'properties',
      sensitive: true,
      mountPath: '/app/db.properties',
      content: 'password=one\n',
    });
    expect(secret.status).toBe(201);
    await save(SECRETS, 'password=two\n', 1);
    await save(SECRETS, 'password=three\n', 2);

    const app = await versions(APP);
    const db = await versions(SECRETS);
    // The current release mounts version 2.
    deploy.set('component:default/basket', [
      {
        environment: 'test',
        kind: 'config',
        name: 'application.yaml',
        version: 2,
        object: app[2][0],
        releases: [{ id: 'r3', number: 3, current: true }],
      },
    ]);

    // While the Deploy backend cannot say what is mounted, nothing goes.
    deploy.failing(true);
    await scheduler.triggerTask('k2-config-retention');
    deploy.failing(false);
    expect(
      await objects(clusters[1], 'application.yaml', 'configmaps'),
    ).toHaveLength(4);
    expect(
      Object.values(await versions(APP)).some(v => (v as unknown[])[1]),
    ).toBe(false);

    await scheduler.triggerTask('k2-config-retention');

    const after = await versions(APP);
    expect(after).toEqual({
      5: [app[1][0], false],
      4: [app[4][0], false],
      3: [app[3][0], true],
      // Mounted by release #3.
      2: [app[2][0], false],
      // Its object is version 5's.
      1: [app[1][0], false],
    });
    for (const cluster of clusters) {
      expect(await objects(cluster, 'application.yaml', 'configmaps')).toEqual(
        [app[1][0], app[2][0], app[4][0]].sort(),
      );
      expect(await objects(cluster, 'db.properties', 'secrets')).toEqual(
        [db[2][0], db[3][0]].sort(),
      );
    }
    expect((await versions(SECRETS))[1]).toEqual([db[1][0], true]);

    // The history keeps a collected version's content, except a sensitive one's.
    const old = await server().get(`${APP}/versions/3/content`).set(as(ALICE));
    expect(old.body.content).toBe('v: 3\n');
    const gone = await server()
      .get(`${SECRETS}/versions/1/content`)
      .set(as(ALICE));
    expect(gone.status).toBe(404);

    // Restoring a collected version writes its object again.
    const restored = await server()
      .post(`${APP}/versions/3/restore`)
      .set(as(ALICE))
      .send({});
    expect(restored.status).toBe(201);
    expect(restored.body.object).toBe(app[3][0]);
    const map = await api(clusters[0]).get(
      `/api/v1/namespaces/shop/configmaps/${app[3][0]}`,
    );
    expect(map.body.data['application.yaml']).toBe('v: 3\n');
  });
});
