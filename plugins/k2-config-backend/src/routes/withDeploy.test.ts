import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { K2Release } from '@internal/plugin-k2-common';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the real Deploy backend beside the Config backend, as the app runs them, for its mounts endpoint and the releases that mount config files
import k2DeployPlugin from '@internal/plugin-k2-deploy-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  serviceEntity,
  startK2ConfigBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/basket',
});

const FILES = '/api/k2-config/services/default/basket/environments/test/files';
const APP = `${FILES}/application.yaml`;

/** The test's scheduler: the Config backend's retention runs when the test says. */
const scheduler = mockServices.scheduler() as SchedulerService & {
  factory(options: {
    skipTaskRunOnStartup: boolean;
  }): ServiceFactory<SchedulerService, 'plugin', 'singleton'>;
};

/**
 * The Config backend beside the real Deploy backend: releases mount config file
 * versions (resolved through the Config API), and the Config backend asks the Deploy
 * backend's mounts endpoint which of them a current or retained release mounts.
 */
describe('config files released by the Deploy backend, on a sandbox cluster', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2ConfigBackend>>;
  const server = () => request(backend.server);

  async function released(body: object | undefined, rollbackOf?: string) {
    const response = rollbackOf
      ? await server()
          .post(`/api/k2-deploy/releases/${rollbackOf}/rollback`)
          .set(as(ALICE))
          .send({})
      : await server()
          .post('/api/k2-deploy/services/default/basket/releases')
          .set(as(ALICE))
          .send(body);
    expect({ status: response.status, body: response.body }).toMatchObject({
      status: 201,
    });
    const done = await poll(
      `release ${response.body.id} finished`,
      async () => {
        const r = await server()
          .get(`/api/k2-deploy/releases/${response.body.id}`)
          .set(as(BOB));
        return ['succeeded', 'failed', 'timed-out'].includes(r.body.status)
          ? (r.body as K2Release)
          : undefined;
      },
      60_000,
    );
    expect(done.status).toBe('succeeded');
    return done;
  }

  /** The ConfigMap the Deployment mounts. */
  async function mountedConfigMap() {
    const deployment = await api(cluster).get(
      '/apis/apps/v1/namespaces/shop/deployments/basket',
    );
    return deployment.body.spec.template.spec.volumes.find(
      (v: { configMap?: { name: string } }) => v.configMap,
    )?.configMap.name;
  }

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
    backend = await startK2ConfigBackend({
      entities: [basket],
      clusters: [cluster],
      knex,
      features: [
        k2DeployPlugin,
        scheduler.factory({ skipTaskRunOnStartup: true }),
      ],
      k2: {
        releases: { retainedForRollback: 2 },
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test' }],
            defaults: { replicas: 1 },
            release: { timeoutSeconds: 30, drainSeconds: 1 },
          },
        ],
        config: {
          retention: { keepVersions: 1, minAge: { milliseconds: 1 } },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  it('refuses deleting a released file naming the release, rolls back to the old ConfigMap, and retention keeps what releases mount', async () => {
    const created = await server().post(FILES).set(as(ALICE)).send({
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/app/config/application.yaml',
      content: 'server:\n  port: 8080\n',
    });
    expect(created.status).toBe(201);
    const v1 = created.body.latest;

    const first = await released({
      environment: 'test',
      image: '1.0.0',
      configFiles: [
        { file: 'application.yaml', mountPath: '/app/config/application.yaml' },
      ],
    });
    expect(first.spec.configFiles[0]).toMatchObject({
      version: 1,
      object: v1.object,
    });
    expect(await mountedConfigMap()).toBe(v1.object);

    const refused = await server().delete(APP).set(as(ALICE));
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      `application.yaml is mounted by release #${first.number} in test; release without it first`,
    );

    const saved = await server()
      .post(`${APP}/versions`)
      .set(as(ALICE))
      .send({ content: 'server:\n  port: 9090\n', baseVersion: 1 });
    expect(saved.status).toBe(201);
    const second = await released({
      environment: 'test',
      image: '1.0.0',
      configFiles: [
        { file: 'application.yaml', mountPath: '/app/config/application.yaml' },
      ],
    });
    expect(await mountedConfigMap()).toBe(saved.body.object);

    // Rolling back restores the config the first release ran with.
    const third = await released(undefined, first.id);
    expect(await mountedConfigMap()).toBe(v1.object);

    const versions = await server().get(`${APP}/versions`).set(as(BOB));
    expect(
      versions.body.items.map(
        (v: { number: number; releases: Array<{ number: number }> }) => [
          v.number,
          v.releases.map(r => r.number),
        ],
      ),
    ).toEqual([
      // Kept for rollback: the last two releases (#3 current, #2); #1 is not.
      [2, [second.number]],
      [1, [third.number]],
    ]);

    // Keeping only the newest version, retention still keeps version 1: the current
    // release mounts it.
    await scheduler.triggerTask('k2-config-retention');
    const map = await api(cluster).get(
      `/api/v1/namespaces/shop/configmaps/${v1.object}`,
    );
    expect(map.status).toBe(200);
    const after = await server().get(`${APP}/versions/1`).set(as(BOB));
    expect(after.body.collected).toBe(false);
  });
});
