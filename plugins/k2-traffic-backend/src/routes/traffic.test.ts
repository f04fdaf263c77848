import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { itWithNginx } from '../__testUtils__/nginx';
import {
  ALICE,
  as,
  BOB,
  DAVE,
  OTHER_TEAM,
  serviceEntity,
  startK2TrafficBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
});
/** Another team's service. */
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-traffic';
const site = (name: string, environment = 'test') =>
  `${API}/services/default/${name}/environments/${environment}/site`;
const TOKEN = 'test-cluster-agent-token-0123456789abcdef';
const PROD_TOKEN = 'prod-cluster-agent-token-0123456789abcdef';
const agent = (token = TOKEN) => ({ Authorization: `Bearer ${token}` });

const basketSite = (members: Array<Record<string, unknown>>) => ({
  template: 'default',
  domains: ['basket.example.com'],
  upstreams: [{ name: 'app', method: 'least_conn', members }],
  locations: [{ path: '/', upstream: 'app' }],
});

describe('Traffic API against a real nginx -t, permission backend and catalog', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2TrafficBackend>>;
  const server = () => request(backend.server);

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
    backend = await startK2TrafficBackend({
      entities: [basket, ledger],
      clusters: [cluster],
      knex,
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test' }],
            wildcardDomain: 'k2.example.com',
          },
          {
            name: 'prod',
            production: true,
            approval: {
              required: true,
              approverGroup: 'group:default/release-approvers',
            },
            clusters: [{ name: 'test' }],
          },
        ],
        traffic: {
          clusters: [
            {
              name: 'edge-test',
              environments: ['test'],
              hosts: ['nginx-1', 'nginx-2'],
              agentToken: TOKEN,
            },
            {
              name: 'edge-prod',
              environments: ['prod'],
              hosts: ['nginx-p1'],
              agentToken: PROD_TOKEN,
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

  const bundle = (query: string, token = TOKEN) =>
    server().get(`${API}/agent/v1/bundle?${query}`).set(agent(token));

  itWithNginx(
    'publishes versions, lists, compares and rolls back, and agents get each bundle',
    async () => {
      const first = await bundle('cluster=edge-test&host=nginx-1');
      expect(first.status).toBe(200);
      expect(first.body.files.map((f: { path: string }) => f.path)).toEqual([
        'k2/k2.conf',
      ]);

      const v1 = await server()
        .post(`${site('basket')}/versions`)
        .set(as(ALICE))
        .send({
          site: basketSite([{ address: '10.1.0.1', port: 8080 }]),
          message: 'First site',
        });
      expect(v1.status).toBe(201);
      expect(v1.body).toMatchObject({
        number: 1,
        author: ALICE,
        message: 'First site',
        contentHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      const siteFile = v1.body.files.find((f: { path: string }) =>
        f.path.startsWith('k2/sites/'),
      );
      expect(siteFile.path).toBe('k2/sites/test/default/basket.conf');
      expect(siteFile.content).toContain(
        'server_name basket.test.k2.example.com basket.example.com;',
      );
      expect(siteFile.content).toContain('least_conn;');

      const withV1 = await bundle(
        `cluster=edge-test&host=nginx-1&after=${first.body.version}`,
      );
      expect(withV1.status).toBe(200);
      // A held request answers as soon as the next publish lands.
      const held = bundle(
        `cluster=edge-test&host=nginx-1&after=${withV1.body.version}`,
      ).then(r => r);
      const v2 = await server()
        .post(`${site('basket')}/versions`)
        .set(as(ALICE))
        .send({
          site: basketSite([
            { address: '10.1.0.1', port: 8080 },
            { address: '10.1.0.9', port: 8080, weight: 3, backup: true },
          ]),
          message: 'Add a VM member',
        });
      expect(v2.status).toBe(201);
      expect(v2.body.number).toBe(2);
      const pulled = await held;
      expect(pulled.status).toBe(200);
      expect(pulled.body.version).not.toBe(withV1.body.version);
      const members = pulled.body.files.find(
        (f: { path: string }) =>
          f.path === 'k2/members/test/default/basket/app.conf',
      );
      expect(members.content).toContain(
        'server 10.1.0.9:8080 weight=3 max_fails=1 fail_timeout=10s backup;',
      );
      expect(
        pulled.body.files.find((f: { path: string }) => f.path === 'k2/k2.conf')
          .content,
      ).toContain('include k2/sites/test/default/basket.conf;');

      const list = await server()
        .get(`${site('basket')}/versions`)
        .set(as(BOB));
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(2);
      expect(list.body.items.map((v: { number: number }) => v.number)).toEqual([
        2, 1,
      ]);

      const compare = await server()
        .get(`${site('basket')}/compare?from=1&to=2`)
        .set(as(BOB));
      expect(compare.status).toBe(200);
      expect(compare.body.from.site.upstreams[0].members).toHaveLength(1);
      expect(compare.body.to.site.upstreams[0].members).toHaveLength(2);

      const rolledBack = await server()
        .post(`${site('basket')}/versions/1/rollback`)
        .set(as(ALICE))
        .send({});
      expect(rolledBack.status).toBe(201);
      expect(rolledBack.body).toMatchObject({
        number: 3,
        rollbackOf: 1,
        message: 'Roll back to version 1',
        contentHash: v1.body.contentHash,
      });
      const view = await server().get(site('basket')).set(as(BOB));
      expect(view.body).toMatchObject({
        cluster: 'edge-test',
        testDomain: 'basket.test.k2.example.com',
        current: { number: 3 },
      });

      // Nothing changed since: the agent's request is held, then answered 204.
      const latest = await bundle('cluster=edge-test&host=nginx-1');
      const started = Date.now();
      const idle = await bundle(
        `cluster=edge-test&host=nginx-1&after=${latest.body.version}`,
      );
      expect(idle.status).toBe(204);
      expect(Date.now() - started).toBeGreaterThanOrEqual(24_000);

      // Reports: what each host applied, and drift.
      const report = await server()
        .post(`${API}/agent/v1/report`)
        .set(agent())
        .send({
          cluster: 'edge-test',
          host: 'nginx-1',
          version: latest.body.version,
          ok: true,
        });
      expect(report.status).toBe(204);
      await server().post(`${API}/agent/v1/report`).set(agent()).send({
        cluster: 'edge-test',
        host: 'nginx-2',
        version: latest.body.version,
        ok: false,
        error: 'nginx: [emerg] unknown directive "x" in k2/k2.conf:3',
      });
      const clusters = await server().get(`${API}/clusters`).set(as(BOB));
      expect(clusters.status).toBe(200);
      const edge = clusters.body.items.find(
        (c: { name: string }) => c.name === 'edge-test',
      );
      expect(edge.version).toBe(latest.body.version);
      expect(edge.hosts).toEqual([
        {
          name: 'nginx-1',
          appliedVersion: latest.body.version,
          reportedAt: expect.any(String),
          drift: false,
        },
        {
          name: 'nginx-2',
          reportedAt: expect.any(String),
          error: 'nginx: [emerg] unknown directive "x" in k2/k2.conf:3',
          drift: true,
        },
      ]);
      expect(JSON.stringify(clusters.body)).not.toContain(TOKEN);
    },
  );

  itWithNginx(
    'refuses a config nginx -t rejects, quoting nginx, and changes nothing',
    async () => {
      const before = await bundle('cluster=edge-test&host=nginx-1');
      const versions = await server()
        .get(`${site('ledger')}/versions`)
        .set(as(BOB));
      const refused = await server()
        .post(`${site('ledger')}/versions`)
        .set(as(BOB))
        .send({
          site: {
            template: 'default',
            upstreams: [
              {
                name: 'app',
                members: [{ address: 'no-such-host.invalid', port: 80 }],
              },
            ],
            locations: [{ path: '/', upstream: 'app' }],
          },
          message: 'A member nobody can resolve',
        });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(
        /^nginx -t rejected the cluster config: \[emerg\] host not found in upstream "no-such-host\.invalid:80" in k2\/members\/test\/default\/ledger\/app\.conf:\d+$/,
      );
      expect(refused.body.error.message).not.toContain('/tmp/');
      const after = await bundle('cluster=edge-test&host=nginx-1');
      expect(after.body.version).toBe(before.body.version);
      const still = await server()
        .get(`${site('ledger')}/versions`)
        .set(as(BOB));
      expect(still.body.total).toBe(versions.body.total);
    },
  );

  it.each([
    ['x; return 200', 'site.domains[0]', { domains: ['x; return 200'] }],
    [
      'a directive in a header value',
      'site.fields.responseHeaders[0].value',
      {
        fields: { responseHeaders: [{ name: 'X-A', value: 'x; return 200' }] },
      },
    ],
    [
      'an absurd number of locations',
      'locations',
      {
        locations: Array.from({ length: 101 }, (_, i) => ({
          path: `/p${i}`,
          upstream: 'app',
        })),
      },
    ],
  ])(
    'refuses %s with 400 naming %s, recording nothing',
    async (_, field, overrides) => {
      const versions = () =>
        server()
          .get(`${site('basket')}/versions`)
          .set(as(ALICE));
      const before = (await versions()).body.total;
      const response = await server()
        .post(`${site('basket')}/versions`)
        .set(as(ALICE))
        .send({
          site: { ...basketSite([]), ...overrides },
          message: 'Bad input',
        });
      expect(response.status).toBe(400);
      expect(response.body.error.name).toBe('InputError');
      expect(response.body.error.message).toContain(field);
      expect((await versions()).body.total).toBe(before);
    },
  );

  it('lists the templates with the fields users may set', async () => {
    const response = await server().get(`${API}/templates`).set(as(BOB));
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      expect.objectContaining({
        name: 'default',
        title: 'Web service',
        schema: expect.objectContaining({
          properties: expect.objectContaining({
            clientMaxBodySize: expect.objectContaining({ default: '1m' }),
          }),
        }),
      }),
    ]);
  });

  it('refuses another team', async () => {
    const otherTeam = await server()
      .post(`${site('basket')}/versions`)
      .set(as(BOB))
      .send({ site: basketSite([]), message: 'Not mine' });
    expect(otherTeam.status).toBe(403);
    expect(otherTeam.body.error.message).toBe(
      'You may not publish the traffic site of component:default/basket',
    );
  });

  itWithNginx(
    'refuses a domain another service of the cluster answers',
    async () => {
      const taken = await server()
        .post(`${site('basket')}/versions`)
        .set(as(ALICE))
        .send({ site: basketSite([]), message: 'Basket domain' });
      expect(taken.status).toBe(201);
      const stolen = await server()
        .post(`${site('ledger')}/versions`)
        .set(as(BOB))
        .send({
          site: { ...basketSite([]), domains: ['basket.example.com'] },
          message: 'Take basket’s domain',
        });
      expect(stolen.status).toBe(400);
      expect(stolen.body.error.message).toBe(
        "site.domains[0]: 'basket.example.com' is a domain of component:default/basket in test on the same Nginx cluster",
      );
    },
  );

  itWithNginx(
    'has a production publish wait for approval, a platform admin’s too, outside the bundle',
    async () => {
      const admin = await server()
        .post(`${site('basket', 'prod')}/versions`)
        .set(as(DAVE))
        .send({
          site: { ...basketSite([]), domains: ['shop.example.com'] },
          message: 'Prod',
        });
      expect(admin.status).toBe(202);
      expect(admin.body).toMatchObject({
        status: 'waiting',
        requestedBy: DAVE,
      });
      const prod = await bundle('cluster=edge-prod&host=nginx-p1', PROD_TOKEN);
      expect(JSON.stringify(prod.body.files)).not.toContain('shop.example.com');
    },
  );

  it.each([
    ['a wrong token', 'cluster=edge-test&host=nginx-1', 'wrong-token', 401],
    [
      'another cluster’s token',
      'cluster=edge-test&host=nginx-1',
      PROD_TOKEN,
      401,
    ],
    ['an unknown cluster', 'cluster=edge-nowhere&host=nginx-1', TOKEN, 404],
    ['an unknown host', 'cluster=edge-test&host=intruder', TOKEN, 403],
  ])('answers an agent with %s %s', async (_, query, token, status) => {
    const response = await bundle(query, token);
    expect(response.status).toBe(status);
    expect(JSON.stringify(response.body)).not.toContain(TOKEN);
    const report = await server()
      .post(`${API}/agent/v1/report`)
      .set(agent(token))
      .send({
        cluster: new URLSearchParams(query).get('cluster'),
        host: new URLSearchParams(query).get('host'),
        version: 'x',
        ok: true,
      });
    expect(report.status).toBe(status);
  });

  it('refuses an agent request without a token and a report error over 8 KiB', async () => {
    const anonymous = await server().get(
      `${API}/agent/v1/bundle?cluster=edge-test&host=nginx-1`,
    );
    expect(anonymous.status).toBe(401);
    const big = await server()
      .post(`${API}/agent/v1/report`)
      .set(agent())
      .send({
        cluster: 'edge-test',
        host: 'nginx-1',
        version: 'x',
        ok: false,
        error: 'e'.repeat(8193),
      });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toContain('error');
  });
});
