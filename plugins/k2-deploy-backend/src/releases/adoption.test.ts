import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  serviceEntity,
  startK2DeployBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const SECRET = 'adoption-test-secret-9f3a';

/** Runs in `ledger`, deployed by hand before K2: 1.13.0 × 2. */
const ledger = serviceEntity('ledger', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'ledger',
});
/** Declared for K2, but nothing runs yet. */
const empty = serviceEntity('empty', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'ledger',
});

describe('adopting a workload K2 did not release', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2DeployBackend>>;

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
    backend = await startK2DeployBackend({
      entities: [ledger, empty],
      clusters: [cluster],
      knex,
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test' }],
            defaults: { replicas: 1 },
          },
        ],
      },
    });
    await api(cluster).post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ledger' },
    });
    await api(cluster).post('/api/v1/namespaces/ledger/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ledger-db' },
      stringData: { password: SECRET },
    });
    const created = await api(cluster).post(
      '/apis/apps/v1/namespaces/ledger/deployments',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'ledger',
          labels: { app: 'ledger', 'backstage.io/kubernetes-id': 'ledger' },
        },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'ledger' } },
          template: {
            metadata: { labels: { app: 'ledger' } },
            spec: {
              containers: [
                {
                  name: 'ledger',
                  image: 'registry.k2.local/finance/ledger:1.13.0',
                  env: [
                    { name: 'LOG_LEVEL', value: 'info' },
                    {
                      name: 'DB_PASSWORD',
                      valueFrom: {
                        secretKeyRef: { name: 'ledger-db', key: 'password' },
                      },
                    },
                  ],
                  resources: {
                    requests: { cpu: '100m', memory: '128Mi' },
                    limits: { cpu: '500m', memory: '256Mi' },
                  },
                },
              ],
            },
          },
        },
      },
    );
    if (created.status !== 201) {
      throw new Error(`Deployment not created: ${created.status}`);
    }
    await poll('ledger Deployment in the cache', async () => {
      const res = await request(backend.server)
        .get('/api/k2-deploy/services/default/ledger/runtime')
        .set(as(BOB));
      return JSON.stringify(res.body).includes('ledger:1.13.0')
        ? true
        : undefined;
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  const adopt = (name: string, user: string) =>
    request(backend.server)
      .post(`/api/k2-deploy/services/default/${name}/environments/test/adopt`)
      .set(as(user))
      .send();
  const history = async (name: string) =>
    (
      await request(backend.server)
        .get(`/api/k2-deploy/services/default/${name}/releases`)
        .set(as(BOB))
    ).body;

  it('refuses another team, recording nothing', async () => {
    const res = await adopt('ledger', BOB);
    expect(res.status).toBe(403);
    expect(res.body.error.name).toBe('NotAllowedError');
    expect((await history('ledger')).total).toBe(0);
  });

  it('records release #1 from the live Deployment for an owner, changing nothing in the cluster', async () => {
    const before = (
      await api(cluster).get(
        '/apis/apps/v1/namespaces/ledger/deployments/ledger',
      )
    ).body;
    const res = await adopt('ledger', ALICE);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      number: 1,
      kind: 'release',
      status: 'succeeded',
      createdBy: ALICE,
      spec: {
        image: 'registry.k2.local/finance/ledger:1.13.0',
        replicas: 2,
        clusters: [{ name: 'test', replicas: 2 }],
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
    });
    expect(res.body.message).toMatch(
      /^Adopted: recorded from the running Deployment ledger\/ledger; not recorded \(read from Secrets or other sources\): DB_PASSWORD$/,
    );
    expect(res.body.finishedAt).toEqual(expect.any(String));

    const page = await history('ledger');
    expect(page.total).toBe(1);
    expect(page.items[0].id).toBe(res.body.id);

    // Who did it, in the service's activity log.
    const activity = await request(backend.server)
      .get('/api/k2/services/default/ledger/activity?limit=100')
      .set(as(BOB));
    expect(activity.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: ALICE,
          action: 'release-adopt',
          result: 'succeeded',
        }),
      ]),
    );

    // The Deployment is as it was: K2 wrote nothing.
    const after = (
      await api(cluster).get(
        '/apis/apps/v1/namespaces/ledger/deployments/ledger',
      )
    ).body;
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(
      (after.metadata.managedFields ?? []).map((f: any) => f.manager),
    ).not.toContain('k2');

    // The Secret's value is in no row, neither plain nor base64.
    const rows = JSON.stringify(await knex('k2_releases').select());
    expect(rows).toContain('LOG_LEVEL');
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64')]) {
      expect(rows).not.toContain(form);
      expect(JSON.stringify(res.body)).not.toContain(form);
    }
  });

  it('refuses a second adoption with 409, keeping the one release', async () => {
    const res = await adopt('ledger', ALICE);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /already has 1 release\(s\) in test \(newest #1\)/,
    );
    expect((await history('ledger')).total).toBe(1);
  });

  it('answers 404 where nothing runs', async () => {
    const res = await adopt('empty', ALICE);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /No Deployment ledger\/empty runs in test/,
    );
    expect((await history('empty')).total).toBe(0);
  });
});
