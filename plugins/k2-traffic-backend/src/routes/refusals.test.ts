import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { itWithNginx } from '../__testUtils__/nginx';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  OTHER_TEAM,
  serviceEntity,
  startK2TrafficBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

/**
 * Every Traffic route tried as someone it is not for: another team, an owner where
 * only admins may act, a name that is not the caller's or not there at all, and sizes
 * no page sends. Each refusal is a 4xx that names nothing secret and writes nothing.
 */
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
const site = (name: string, environment = 'test', namespace = 'default') =>
  `${API}/services/${namespace}/${name}/environments/${environment}/site`;
const TOKEN = 'test-cluster-agent-token-0123456789abcdef';
const PROD_TOKEN = 'prod-cluster-agent-token-0123456789abcdef';
const agent = { Authorization: `Bearer ${TOKEN}` };

const siteOf = (
  name: string,
  members = [{ address: '10.1.0.1', port: 80 }],
) => ({
  template: 'default',
  domains: [`${name}.example.com`],
  upstreams: [{ name: 'app', members }],
  locations: [{ path: '/', upstream: 'app' }],
});

/** Beyond PostgreSQL's integer column (2^31 - 1) and JavaScript's safe integers. */
const HUGE_NUMBERS = ['2147483648', '99999999999999999999', '1e10'];

describe('Traffic routes refuse whoever and whatever they are not for', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2TrafficBackend>>;
  const server = () => request(backend.server);

  /** What a refusal must leave as it was: every version and host report. */
  const written = async () => ({
    versions: await knex('k2_traffic_site_versions')
      .select('service_ref', 'environment', 'number')
      .orderBy(['service_ref', 'environment', 'number']),
    bundles: await knex('k2_traffic_bundles').count({ n: '*' }),
  });

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
              hosts: ['nginx-1'],
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

  /**
   * basket: versions 1 and 2 in test, 1 in prod (an admin's, approved by an approver)
   * and the admin's next prod change waiting; ledger: 1 to 3 in test.
   */
  itWithNginx('publishes the versions the refusals below aim at', async () => {
    const publish = async (
      user: string,
      name: string,
      environment: string,
      message: string,
      status = 201,
    ) => {
      const response = await server()
        .post(`${site(name, environment)}/versions`)
        .set(as(user))
        .send({
          site: {
            ...siteOf(name),
            domains: [`${name}.${environment}.example.com`],
          },
          message,
        });
      expect({ message, status: response.status }).toEqual({
        message,
        status,
      });
      return response.body;
    };
    await publish(ALICE, 'basket', 'test', 'basket 1');
    await publish(ALICE, 'basket', 'test', 'basket 2');
    const prod = await publish(DAVE, 'basket', 'prod', 'basket prod 1', 202);
    const approved = await server()
      .post(`${site('basket', 'prod')}/changes/${prod.id}/approve`)
      .set(as(CAROL));
    expect(approved.status).toBe(201);
    await publish(DAVE, 'basket', 'prod', 'basket prod 2', 202);
    await publish(BOB, 'ledger', 'test', 'ledger 1');
    await publish(BOB, 'ledger', 'test', 'ledger 2');
    await publish(BOB, 'ledger', 'test', 'ledger 3');
  });

  describe('another team', () => {
    itWithNginx(
      'reads the site, its versions, one version and a comparison, as K2 policy lets every signed-in user',
      async () => {
        for (const path of [
          site('basket'),
          `${site('basket')}/versions`,
          `${site('basket')}/versions/1`,
          `${site('basket')}/compare?from=1&to=2`,
        ]) {
          const response = await server().get(path).set(as(BOB));
          expect({ path, status: response.status }).toEqual({
            path,
            status: 200,
          });
        }
      },
    );

    it('reads the templates, the clusters and the published sites, never an agent token', async () => {
      for (const path of ['/templates', '/clusters', '/sites']) {
        const user = await server().get(`${API}${path}`).set(as(BOB));
        expect({ path, status: user.status }).toEqual({ path, status: 200 });
      }
      const clusters = await server().get(`${API}/clusters`).set(as(BOB));
      expect(JSON.stringify(clusters.body)).not.toContain(TOKEN);
      expect(JSON.stringify(clusters.body)).not.toContain(PROD_TOKEN);
    });

    itWithNginx(
      'may not roll back a site, and nothing is written',
      async () => {
        const before = await written();
        const rollback = await server()
          .post(`${site('basket')}/versions/1/rollback`)
          .set(as(BOB))
          .send({ message: 'Not mine' });
        expect(rollback.status).toBe(403);
        expect(rollback.body.error.message).toBe(
          'You may not publish the traffic site of component:default/basket',
        );
        expect(await written()).toEqual(before);
      },
    );
  });

  describe('production, where changes need approval', () => {
    itWithNginx(
      'refuses a rollback while a change waits, naming it, and writes nothing',
      async () => {
        const before = await written();
        const rollback = await server()
          .post(`${site('basket', 'prod')}/versions/1/rollback`)
          .set(as(ALICE))
          .send({});
        expect(rollback.status).toBe(409);
        expect(rollback.body.error.message).toMatch(
          /^component:default\/basket already has traffic site change #\d+ \(by user:default\/dave, .+\) waiting for approval in prod; have it approved or rejected, or withdraw it, first$/,
        );
        expect(await written()).toEqual(before);
      },
    );
  });

  describe('names that are not the caller’s or not there', () => {
    it.each([
      ['a service the catalog does not hold', site('no-such-service')],
      [
        'a service under another catalog namespace',
        site('basket', 'test', 'finance'),
      ],
    ])('answers 404 for %s, naming only what was asked', async (_, path) => {
      for (const suffix of [
        '',
        '/versions',
        '/versions/1',
        '/compare?from=1&to=2',
      ]) {
        const response = await server().get(`${path}${suffix}`).set(as(ALICE));
        expect({ suffix, status: response.status }).toEqual({
          suffix,
          status: 404,
        });
        expect(response.body.error.name).toBe('NotFoundError');
        expect(JSON.stringify(response.body)).not.toContain('ledger');
      }
    });

    itWithNginx(
      'refuses publishing or rolling back a service that is not there, writing nothing',
      async () => {
        const before = await written();
        const publish = await server()
          .post(`${site('no-such-service')}/versions`)
          .set(as(DAVE))
          .send({ site: siteOf('nothing'), message: 'Ghost' });
        expect(publish.status).toBe(404);
        const rollback = await server()
          .post(`${site('no-such-service')}/versions/1/rollback`)
          .set(as(DAVE))
          .send({});
        expect(rollback.status).toBe(404);
        expect(await written()).toEqual(before);
      },
    );

    itWithNginx(
      'answers 404 for a version number that only another service or environment has',
      async () => {
        // ledger has a version 3 in test, basket's prod site a version 1 only.
        const otherService = await server()
          .get(`${site('basket')}/versions/3`)
          .set(as(ALICE));
        expect(otherService.status).toBe(404);
        expect(otherService.body.error.message).toBe(
          'component:default/basket has no traffic site version 3 in test',
        );
        const otherEnvironment = await server()
          .get(`${site('basket', 'prod')}/versions/3`)
          .set(as(ALICE));
        expect(otherEnvironment.status).toBe(404);
        const compare = await server()
          .get(`${site('basket')}/compare?from=1&to=3`)
          .set(as(ALICE));
        expect(compare.status).toBe(404);
        expect(compare.body).not.toHaveProperty('from');
        expect(JSON.stringify(compare.body)).not.toContain('ledger');
      },
    );

    itWithNginx(
      'will not roll a site back to another service’s version, writing nothing',
      async () => {
        const before = await written();
        const rollback = await server()
          .post(`${site('basket')}/versions/3/rollback`)
          .set(as(ALICE))
          .send({});
        expect(rollback.status).toBe(404);
        expect(await written()).toEqual(before);
      },
    );

    it('answers 400 for an environment the service does not run in', async () => {
      const response = await server()
        .get(`${site('ledger', 'prod')}/versions`)
        .set(as(BOB));
      expect(response.status).toBe(400);
    });
  });

  describe('absurd sizes', () => {
    it.each([
      ['limit=1000000000', 'limit'],
      ['limit=1e9', 'limit'],
      ['limit=0', 'limit'],
      ...HUGE_NUMBERS.map(n => [`before=${n}`, 'before']),
    ])(
      'refuses versions?%s with 400 naming the parameter',
      async (query, parameter) => {
        const response = await server()
          .get(`${site('basket')}/versions?${query}`)
          .set(as(ALICE));
        expect(response.status).toBe(400);
        expect(response.body.error.message).toContain(parameter);
      },
    );

    it.each(HUGE_NUMBERS)(
      'refuses version number %s with 400 on every route that takes one, writing nothing',
      async n => {
        const before = await written();
        const get = await server()
          .get(`${site('basket')}/versions/${n}`)
          .set(as(ALICE));
        expect(get.status).toBe(400);
        const rollback = await server()
          .post(`${site('basket')}/versions/${n}/rollback`)
          .set(as(ALICE))
          .send({});
        expect(rollback.status).toBe(400);
        const compare = await server()
          .get(`${site('basket')}/compare?from=1&to=${n}`)
          .set(as(ALICE));
        expect(compare.status).toBe(400);
        expect(compare.body.error.message).toContain('to');
        expect(await written()).toEqual(before);
      },
    );

    it('answers 404 for version 1e9, a number in range that no site reaches', async () => {
      const response = await server()
        .get(`${site('basket')}/versions/1e9`)
        .set(as(ALICE));
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(
        'component:default/basket has no traffic site version 1000000000 in test',
      );
    });

    it('refuses a service or environment name longer than a catalog name with 400', async () => {
      const long = 'a'.repeat(300);
      for (const path of [
        site(long),
        site('basket', long),
        site('basket', 'test', long),
      ]) {
        const response = await server().get(path).set(as(ALICE));
        expect(response.status).toBe(400);
        expect(response.body.error.message).not.toContain(long);
      }
    });

    it.each([
      [
        '201 members in an upstream',
        {
          site: siteOf(
            'basket',
            Array.from({ length: 201 }, (_, i) => ({
              address: `10.2.${i >> 8}.${i & 255}`,
              port: 8080,
            })),
          ),
          message: 'Many members',
        },
        400,
      ],
      [
        '10,000 members (a body over the limit)',
        {
          site: siteOf(
            'basket',
            Array.from({ length: 10_000 }, (_, i) => ({
              address: `10.3.${i >> 8}.${i & 255}`,
              port: 8080,
            })),
          ),
          message: 'Ten thousand members',
        },
        413,
      ],
      [
        'a 501-character message',
        { site: siteOf('basket'), message: 'm'.repeat(501) },
        400,
      ],
      [
        'a 1 MB message',
        { site: siteOf('basket'), message: 'm'.repeat(1024 * 1024) },
        413,
      ],
      [
        '101 locations',
        {
          site: {
            ...siteOf('basket'),
            locations: Array.from({ length: 101 }, (_, i) => ({
              path: `/p${i}/`,
              upstream: 'app',
            })),
          },
          message: 'Many locations',
        },
        400,
      ],
      [
        'a 300-character domain',
        {
          site: { ...siteOf('basket'), domains: [`${'d'.repeat(296)}.com`] },
          message: 'Long domain',
        },
        400,
      ],
    ])(
      'refuses a publish with %s, writing nothing',
      async (_, body, status) => {
        const before = await written();
        const response = await server()
          .post(`${site('basket')}/versions`)
          .set(as(ALICE))
          .send(body);
        expect(response.status).toBe(status);
        expect(await written()).toEqual(before);
      },
    );

    it('refuses a 1 MB rollback message with 413, writing nothing', async () => {
      const before = await written();
      const response = await server()
        .post(`${site('basket')}/versions/1/rollback`)
        .set(as(ALICE))
        .send({ message: 'm'.repeat(1024 * 1024) });
      expect(response.status).toBe(413);
      expect(await written()).toEqual(before);
    });

    it('refuses an agent’s oversized query and report before they are read', async () => {
      const after = await server()
        .get(
          `${API}/agent/v1/bundle?cluster=edge-test&host=nginx-1&after=${'v'.repeat(
            129,
          )}`,
        )
        .set(agent);
      expect(after.status).toBe(400);
      expect(after.body.error.message).toContain('after');
      const host = await server()
        .get(`${API}/agent/v1/bundle?cluster=edge-test&host=${'h'.repeat(300)}`)
        .set(agent);
      expect(host.status).toBe(400);
      const before = await server().get(`${API}/clusters`).set(as(DAVE));
      const report = await server()
        .post(`${API}/agent/v1/report`)
        .set(agent)
        .send({
          cluster: 'edge-test',
          host: 'nginx-1',
          version: 'x',
          ok: false,
          error: 'e'.repeat(1024 * 1024),
        });
      expect(report.status).toBe(413);
      const version = await server()
        .post(`${API}/agent/v1/report`)
        .set(agent)
        .send({
          cluster: 'edge-test',
          host: 'nginx-1',
          version: 'v'.repeat(129),
          ok: true,
        });
      expect(version.status).toBe(400);
      const after2 = await server().get(`${API}/clusters`).set(as(DAVE));
      expect(after2.body).toEqual(before.body);
    });
  });
});
