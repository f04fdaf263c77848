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
  ERIN,
  OTHER_TEAM,
  serviceEntity,
  startK2TrafficBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

/** Owned by ALICE's and ERIN's team; ERIN is also a production approver. */
const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
});
/** Another team's service, in production too. */
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test,prod', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-traffic';
const site = (name: string, environment = 'prod') =>
  `${API}/services/default/${name}/environments/${environment}/site`;
const PROD_TOKEN = 'prod-cluster-agent-token-0123456789abcdef';

const siteOf = (domain: string, address = '10.1.0.1') => ({
  template: 'default',
  domains: [domain],
  upstreams: [{ name: 'app', members: [{ address, port: 8080 }] }],
  locations: [{ path: '/', upstream: 'app' }],
});

/**
 * Production publishes follow the environment's approval rule: they wait as site
 * changes, outside every bundle, until an approver who did not ask for them approves.
 * One backend for the file: each test goes on from the site the one before left.
 */
describe('Traffic approvals against a real nginx -t, permission backend and catalog', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2TrafficBackend>>;
  const server = () => request(backend.server);

  const publish = (user: string, name: string, body: object) =>
    server()
      .post(`${site(name)}/versions`)
      .set(as(user))
      .send(body);
  const decide = (
    user: string,
    name: string,
    id: number | string,
    decision: 'approve' | 'reject',
    body: object = {},
  ) =>
    server()
      .post(`${site(name)}/changes/${id}/${decision}`)
      .set(as(user))
      .send(body);
  /** The site files the prod cluster's agents get now. */
  const delivered = async () => {
    const response = await server()
      .get(`${API}/agent/v1/bundle?cluster=edge-prod&host=nginx-p1`)
      .set({ Authorization: `Bearer ${PROD_TOKEN}` });
    expect(response.status).toBe(200);
    return (response.body.files as Array<{ path: string; content: string }>)
      .filter(f => f.path.startsWith('k2/sites/'))
      .map(f => f.content)
      .join('\n');
  };
  const versions = async (name = 'basket') =>
    (
      await server()
        .get(`${site(name)}/versions`)
        .set(as(BOB))
    ).body;
  const activity = async () =>
    (
      await server()
        .get('/api/k2/services/default/basket/activity?limit=100')
        .set(as(BOB))
    ).body.items as Array<{
      actor: string;
      action: string;
      result: string;
      summary: string;
    }>;
  const written = async () => ({
    versions: await knex('k2_traffic_site_versions').count({ n: '*' }),
    changes: await knex('k2_traffic_site_changes')
      .select('id', 'status')
      .orderBy('id'),
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
          { name: 'test', clusters: [{ name: 'test' }] },
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
              agentToken: 'test-cluster-agent-token-0123456789abcdef',
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

  let first: number;

  itWithNginx(
    'keeps a production publish waiting, outside the bundle, and refuses a second one naming it',
    async () => {
      const response = await publish(ERIN, 'basket', {
        site: siteOf('basket.example.com'),
        message: 'First production site',
      });
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        status: 'waiting',
        requestedBy: ERIN,
        message: 'First production site',
        site: { domains: ['basket.example.com'] },
      });
      first = response.body.id;
      expect(await delivered()).not.toContain('basket.example.com');
      expect(await versions()).toEqual({
        items: [],
        total: 0,
        waiting: expect.objectContaining({ id: first, requestedBy: ERIN }),
      });
      const view = await server().get(site('basket')).set(as(BOB));
      expect(view.body).not.toHaveProperty('current');

      const second = await publish(ALICE, 'basket', {
        site: siteOf('basket2.example.com'),
        message: 'Another',
      });
      expect(second.status).toBe(409);
      expect(second.body.error.message).toContain(
        `traffic site change #${first} (by ${ERIN}`,
      );
    },
  );

  itWithNginx(
    'refuses the requester, an owner who is no approver and another team, writing nothing',
    async () => {
      const before = await written();
      const self = await decide(ERIN, 'basket', first, 'approve');
      expect(self.status).toBe(403);
      expect(self.body.error.message).toBe(
        `You asked for traffic site change #${first}: another member of group:default/release-approvers (or a platform admin) decides it`,
      );
      for (const user of [ALICE, BOB]) {
        for (const decision of ['approve', 'reject'] as const) {
          const refused = await decide(user, 'basket', first, decision);
          expect({ user, decision, status: refused.status }).toEqual({
            user,
            decision,
            status: 403,
          });
          expect(refused.body.error.message).toBe(
            'Traffic site changes in prod are decided by members of group:default/release-approvers',
          );
        }
      }
      expect(await written()).toEqual(before);
      expect(await delivered()).not.toContain('basket.example.com');
    },
  );

  itWithNginx(
    'answers 400 for absurd ids and 404 for a change this site does not have',
    async () => {
      const before = await written();
      for (const id of ['0', '-1', 'abc', '1.5', '2147483648']) {
        const response = await decide(CAROL, 'basket', id, 'approve');
        expect({ id, status: response.status }).toEqual({ id, status: 400 });
      }
      const missing = await decide(CAROL, 'basket', 999999, 'approve');
      expect(missing.status).toBe(404);
      // basket's change through ledger's route, and through basket's test site.
      const otherService = await decide(CAROL, 'ledger', first, 'approve');
      expect(otherService.status).toBe(404);
      expect(otherService.body.error.message).toBe(
        `component:default/ledger has no traffic site change ${first} in prod`,
      );
      const otherEnvironment = await server()
        .post(`${site('basket', 'test')}/changes/${first}/approve`)
        .set(as(CAROL));
      expect(otherEnvironment.status).toBe(404);
      const ghost = await decide(CAROL, 'no-such-service', first, 'approve');
      expect(ghost.status).toBe(404);
      expect(await written()).toEqual(before);
    },
  );

  itWithNginx(
    'publishes the change once an approver approves it, into the bundle, and only once',
    async () => {
      const approved = await decide(CAROL, 'basket', first, 'approve');
      expect(approved.status).toBe(201);
      expect(approved.body).toMatchObject({
        number: 1,
        author: ERIN,
        approvedBy: CAROL,
        message: 'First production site',
      });
      expect(await delivered()).toContain('server_name basket.example.com;');
      const list = await versions();
      expect(list.total).toBe(1);
      expect(list).not.toHaveProperty('waiting');
      const again = await decide(DAVE, 'basket', first, 'approve');
      expect(again.status).toBe(409);
      expect(again.body.error.message).toBe(
        `Traffic site change #${first} is approved (by ${CAROL}), not waiting for approval`,
      );
    },
  );

  itWithNginx(
    'leaves a rejected rollback unpublished and lets the site have a new change',
    async () => {
      const edit = await publish(ALICE, 'basket', {
        site: siteOf('basket.example.com', '10.1.0.2'),
        message: 'Second member',
      });
      expect(edit.status).toBe(202);
      const rejected = await decide(DAVE, 'basket', edit.body.id, 'reject', {
        reason: 'Not during the sale',
      });
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        decidedBy: DAVE,
        reason: 'Not during the sale',
      });
      expect(await delivered()).not.toContain('10.1.0.2');
      expect((await versions()).total).toBe(1);

      const rollback = await server()
        .post(`${site('basket')}/versions/1/rollback`)
        .set(as(ALICE))
        .send({});
      expect(rollback.status).toBe(202);
      expect(rollback.body).toMatchObject({ status: 'waiting', rollbackOf: 1 });
      const approved = await decide(
        DAVE,
        'basket',
        rollback.body.id,
        'approve',
      );
      expect(approved.status).toBe(201);
      expect(approved.body).toMatchObject({
        number: 2,
        rollbackOf: 1,
        author: ALICE,
        approvedBy: DAVE,
      });

      const entries = await activity();
      expect(entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actor: CAROL,
            action: 'traffic-site-approve',
            result: 'succeeded',
            summary: `Approved traffic site change #${first} by ${ERIN}: published as version 1 in prod: First production site`,
          }),
          expect.objectContaining({
            actor: DAVE,
            action: 'traffic-site-reject',
            result: 'succeeded',
          }),
          expect.objectContaining({
            actor: ERIN,
            action: 'traffic-site-approve',
            result: 'failed',
          }),
        ]),
      );
    },
  );

  itWithNginx(
    'refuses an approval the cluster no longer accepts and keeps the change waiting',
    async () => {
      // basket asks for a domain; ledger's site takes it first.
      const waiting = await publish(ALICE, 'basket', {
        site: siteOf('shared.example.com'),
        message: 'A new domain',
      });
      expect(waiting.status).toBe(202);
      const ledgerChange = await publish(BOB, 'ledger', {
        site: siteOf('shared.example.com'),
        message: 'Ledger takes it',
      });
      expect(ledgerChange.status).toBe(202);
      expect(
        (await decide(CAROL, 'ledger', ledgerChange.body.id, 'approve')).status,
      ).toBe(201);

      const refused = await decide(CAROL, 'basket', waiting.body.id, 'approve');
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(
        "site.domains[0]: 'shared.example.com' is a domain of component:default/ledger in prod on the same Nginx cluster",
      );
      expect((await versions()).waiting).toMatchObject({
        id: waiting.body.id,
        status: 'waiting',
      });
      expect((await versions()).total).toBe(2);
    },
  );

  itWithNginx(
    'lets the requester (or a platform admin) withdraw a waiting change, kept as withdrawn; refuses others',
    async () => {
      const waiting = (await versions()).waiting;
      expect(waiting).toMatchObject({ requestedBy: ALICE, status: 'waiting' });
      const withdraw = (user: string, name: string, body: object = {}) =>
        server()
          .post(`${site(name)}/changes/${waiting.id}/withdraw`)
          .set(as(user))
          .send(body);

      const before = await written();
      // Another team; an approver who does not own basket.
      for (const user of [BOB, CAROL]) {
        const refused = await withdraw(user, 'basket');
        expect({ user, status: refused.status }).toEqual({ user, status: 403 });
        expect(refused.body.error.message).toBe(
          'You may not withdraw traffic site changes of component:default/basket',
        );
      }
      const throughLedger = await withdraw(ALICE, 'ledger');
      expect(throughLedger.status).toBe(404);
      expect(throughLedger.body.error.message).toBe(
        `component:default/ledger has no traffic site change ${waiting.id} in prod`,
      );
      expect(await written()).toEqual(before);

      const withdrawn = await withdraw(ALICE, 'basket', {
        reason: 'Wrong domain',
      });
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body).toMatchObject({
        id: waiting.id,
        status: 'withdrawn',
        decidedBy: ALICE,
        reason: 'Wrong domain',
      });
      expect((await versions()).waiting).toBeUndefined();
      expect((await written()).changes).toContainEqual({
        id: waiting.id,
        status: 'withdrawn',
      });
      const approveAfter = await decide(CAROL, 'basket', waiting.id, 'approve');
      expect(approveAfter.status).toBe(409);
      expect(approveAfter.body.error.message).toBe(
        `Traffic site change #${waiting.id} is withdrawn (by ${ALICE}), not waiting for approval`,
      );
      expect((await withdraw(ALICE, 'basket')).status).toBe(409);

      // The site may have a new change; a platform admin withdraws another's.
      const next = await publish(ERIN, 'basket', {
        site: siteOf('basket.example.com', '10.1.0.3'),
        message: 'Third member',
      });
      expect(next.status).toBe(202);
      // Another owner, who may not decide it: not theirs to withdraw.
      const byOwner = await server()
        .post(`${site('basket')}/changes/${next.body.id}/withdraw`)
        .set(as(ALICE))
        .send({});
      expect(byOwner.status).toBe(403);
      expect(byOwner.body.error.message).toBe(
        `Traffic site change #${next.body.id} was asked for by ${ERIN}: only they (or a platform admin) withdraw it`,
      );
      expect((await versions()).waiting).toMatchObject({
        id: next.body.id,
        status: 'waiting',
      });
      const byAdmin = await server()
        .post(`${site('basket')}/changes/${next.body.id}/withdraw`)
        .set(as(DAVE))
        .send({});
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body).toMatchObject({
        status: 'withdrawn',
        decidedBy: DAVE,
        reason: `Withdrawn by ${DAVE}`,
      });
      expect(await delivered()).not.toContain('10.1.0.3');
      expect((await versions()).total).toBe(2);

      expect(await activity()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actor: ALICE,
            action: 'traffic-site-withdraw',
            result: 'succeeded',
            summary: `Withdrew traffic site change #${waiting.id} by ${ALICE} in prod`,
          }),
          expect.objectContaining({
            actor: DAVE,
            action: 'traffic-site-withdraw',
            result: 'succeeded',
          }),
        ]),
      );
    },
  );
});
