import { K2Release } from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OTHER_TEAM,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

/**
 * Who may do what to a service, through the Deploy API and the real permission path:
 * the permission backend with K2's policy module, the catalog deciding `isEntityOwner`
 * on the entity the request names, the Deploy backend deciding approvals on the
 * release. Alice and Erin are in basket's team, Bob in ledger's, Carol approves
 * production releases, Dave is a platform admin.
 */
const basket = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/basket',
});
/** Another team's service: Alice owns nothing of it. */
const ledger = serviceEntity(
  'ledger',
  {
    'k2.io/environments': 'test,prod',
    'k2.io/namespace': 'finance',
    'k2.io/image': 'registry.k2.local/finance/ledger',
  },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-deploy';
const serviceBase = (name: string) => `${API}/services/default/${name}`;
const envBase = (name: string, environment = 'test') =>
  `${serviceBase(name)}/environments/${environment}`;
const instanceBase = (name: string, pod: string) =>
  `${envBase(name)}/instances/test/${pod}`;
const NAMESPACE: Record<string, string> = { basket: 'shop', ledger: 'finance' };

type Send = (user: string) => request.Test;

describe('authorization of every Deploy route, by the real permission backend, K2 policy and catalog', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test', 'prod-a'],
    backend: {
      entities: [basket, ledger],
      k2: {
        environments: [
          testEnvironment('test', { replicas: 2, timeoutSeconds: 60 }),
          testEnvironment('prod', {
            clusters: [{ name: 'prod-a' }],
            timeoutSeconds: 60,
            production: true,
          }),
        ],
      },
    },
  });

  const server = () => request(bed.backend.server);

  async function getRelease(id: string): Promise<K2Release> {
    const res = await server().get(`${API}/releases/${id}`).set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Waits until the release is over, and the service's pods have settled. */
  async function finished(id: string): Promise<K2Release> {
    const release = await releaseFinished(bed.backend, id);
    expect(release.status).toBe('succeeded');
    await settled(release.service.split('/')[1], release.environment);
    return release;
  }

  const clusterOf = (environment: string) =>
    bed.cluster(environment === 'prod' ? 'prod-a' : 'test');

  /** Live pods of a service in an environment's cluster. */
  async function livePods(name: string, environment = 'test') {
    const pods = await api(clusterOf(environment)).get(
      `/api/v1/namespaces/${NAMESPACE[name]}/pods?labelSelector=k2.io/service%3D${name}`,
    );
    return (pods.body.items as any[]).filter(
      p => !p.metadata.deletionTimestamp,
    );
  }

  /** Waits until as many ready pods run as the Deployment asks for. */
  async function settled(name: string, environment = 'test') {
    await poll(
      `${name} settled in ${environment}`,
      async () => {
        const deployment = await api(clusterOf(environment)).get(
          `/apis/apps/v1/namespaces/${NAMESPACE[name]}/deployments/${name}`,
        );
        const pods = await livePods(name, environment);
        const ready = pods.filter(p =>
          p.status?.conditions?.some(
            (c: any) => c.type === 'Ready' && c.status === 'True',
          ),
        );
        return deployment.body.spec?.replicas === ready.length &&
          ready.length === pods.length
          ? true
          : undefined;
      },
      60_000,
    );
  }

  /** What a refused request must not have changed: releases and the cluster. */
  async function snapshot(name: string) {
    const cluster = api(bed.cluster('test'));
    const namespace = NAMESPACE[name];
    const deployment = await cluster.get(
      `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
    );
    const hpa = await cluster.get(
      `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${name}`,
    );
    const prod = await api(bed.cluster('prod-a')).get(
      `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
    );
    return {
      releases: await bed
        .knex('k2_releases')
        .select('id', 'status')
        .orderBy('id'),
      deployment: {
        generation: deployment.body.metadata?.generation,
        replicas: deployment.body.spec?.replicas,
        template: deployment.body.spec?.template,
      },
      hpa: hpa.status,
      pods: (await livePods(name))
        .map(
          p =>
            `${p.metadata.name} traffic=${p.metadata.labels['k2.io/traffic']}`,
        )
        .sort(),
      prod: prod.body.metadata?.generation ?? prod.status,
    };
  }

  /** Each of `users` gets a 403 naming no success, and nothing changes. */
  async function refused(name: string, users: string[], send: Send) {
    for (const user of users) {
      const before = await snapshot(name);
      const res = await send(user);
      expect({ user, status: res.status }).toEqual({ user, status: 403 });
      expect(res.body.error?.name).toBe('NotAllowedError');
      expect(await snapshot(name)).toEqual(before);
    }
  }

  const release = (
    name: string,
    user: string,
    environment: string,
    image: string,
  ) =>
    server()
      .post(`${serviceBase(name)}/releases`)
      .set(as(user))
      .send({ environment, image });

  /** A release the owner made and saw succeed, for the routes that name one. */
  async function released(name: string, user: string, image: string) {
    const res = await release(name, user, 'test', image);
    expect(res.status).toBe(201);
    return finished(res.body.id);
  }

  /** A production release waiting for an approver. */
  async function waiting(name: string, user: string, image: string) {
    const res = await release(name, user, 'prod', image);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending-approval');
    return res.body as K2Release;
  }

  let firstBasket: K2Release;
  let firstLedger: K2Release;

  beforeAll(async () => {
    firstBasket = await released('basket', ALICE, '1.0.0');
    firstLedger = await released('ledger', BOB, '1.0.0');
  });

  /**
   * Service-level changes: the owner and platform admins, nobody else. Each row sends
   * the request as a user; an allowed request's release is waited for.
   */
  const ownerRoutes: Array<{
    route: string;
    send: (user: string, run: number) => request.Test;
  }> = [
    {
      route: 'POST /services/:ns/:name/releases',
      send: (user, run) => release('basket', user, 'test', `1.1.${run}`),
    },
    {
      route: 'POST /releases/:id/rollback',
      send: user =>
        server()
          .post(`${API}/releases/${firstBasket.id}/rollback`)
          .set(as(user))
          .send({}),
    },
    {
      route: 'POST /services/:ns/:name/environments/:env/scale',
      send: (user, run) =>
        server()
          .post(`${envBase('basket')}/scale`)
          .set(as(user))
          .send({ replicas: 2 + run }),
    },
    {
      route: 'POST /services/:ns/:name/environments/:env/restart',
      send: user =>
        server()
          .post(`${envBase('basket')}/restart`)
          .set(as(user))
          .send(),
    },
    {
      route: 'PUT /services/:ns/:name/environments/:env/autoscaling',
      send: (user, run) =>
        server()
          .put(`${envBase('basket')}/autoscaling`)
          .set(as(user))
          .send({ minReplicas: 2, maxReplicas: 4 + run, cpuUtilization: 70 }),
    },
    {
      route: 'DELETE /services/:ns/:name/environments/:env/autoscaling',
      send: user =>
        server()
          .delete(`${envBase('basket')}/autoscaling`)
          .set(as(user)),
    },
  ];

  it.each(ownerRoutes.map(r => [r.route, r] as const))(
    '%s: the owner and a platform admin; not another team, not an approver',
    async (_, { send }) => {
      await refused('basket', [BOB, CAROL], user => send(user, 0));
      for (const [run, user] of [ALICE, DAVE].entries()) {
        const res = await send(user, run);
        expect({ user, status: res.status }).toEqual({ user, status: 201 });
        expect(res.body.createdBy).toBe(user);
        await finished(res.body.id);
      }
    },
  );

  it('PUT .../instances/:cluster/:pod/traffic: the owner and a platform admin; not another team, not an approver', async () => {
    const [pod] = await livePods('basket');
    const traffic = (inTraffic: boolean) => (user: string) =>
      server()
        .put(`${instanceBase('basket', pod.metadata.name)}/traffic`)
        .set(as(user))
        .send({ inTraffic });
    await refused('basket', [BOB, CAROL], traffic(false));

    const out = await traffic(false)(ALICE);
    expect(out.status).toBe(200);
    const label = async () =>
      (await livePods('basket')).find(
        p => p.metadata.name === pod.metadata.name,
      )?.metadata.labels['k2.io/traffic'];
    expect(await label()).toBe('off');
    await refused('basket', [BOB, CAROL], traffic(true));
    const back = await traffic(true)(DAVE);
    expect(back.status).toBe(200);
    expect(await label()).toBe('on');
  });

  it.each([
    ['POST .../instances/:cluster/:pod/restart', 'post', '/restart'],
    ['DELETE .../instances/:cluster/:pod', 'delete', ''],
  ] as const)(
    '%s: the owner and a platform admin; not another team, not an approver',
    async (_, method, suffix) => {
      for (const user of [ALICE, DAVE]) {
        const [pod] = await livePods('basket');
        const end = (who: string) =>
          server()
            [method](`${instanceBase('basket', pod.metadata.name)}${suffix}`)
            .set(as(who));
        await refused('basket', [BOB, CAROL], end);
        const res = await end(user);
        expect({ user, status: res.status }).toEqual({ user, status: 202 });
        await poll(
          `${pod.metadata.name} replaced`,
          async () =>
            (
              await livePods('basket')
            ).some(p => p.metadata.name === pod.metadata.name)
              ? undefined
              : true,
          30_000,
        );
        await settled('basket');
      }
    },
  );

  it('GET .../instances/:cluster/:pod/logs: every signed-in user, as K2 policy says', async () => {
    const [pod] = await livePods('basket');
    for (const user of [ALICE, BOB, CAROL, DAVE]) {
      const res = await server()
        .get(`${instanceBase('basket', pod.metadata.name)}/logs`)
        .set(as(user));
      expect({ user, status: res.status }).toEqual({ user, status: 200 });
    }
  });

  it('POST /releases/:id/cancel: the owner and a platform admin withdraw a waiting release; not another team, not an approver', async () => {
    for (const user of [ALICE, DAVE]) {
      const pending = await waiting('basket', ALICE, `2.0.${user.length}`);
      const cancel = (who: string) =>
        server()
          .post(`${API}/releases/${pending.id}/cancel`)
          .set(as(who))
          .send({});
      await refused('basket', [BOB, CAROL], cancel);
      const res = await cancel(user);
      expect({ user, status: res.status }).toEqual({ user, status: 200 });
      expect((await getRelease(pending.id)).status).toBe('cancelled');
    }
  });

  it('POST /releases/:id/approve and /reject: approvers and platform admins; not the owner, not another team, never the requester', async () => {
    const decide =
      (id: string, decision: 'approve' | 'reject') => (who: string) =>
        server()
          .post(`${API}/releases/${id}/${decision}`)
          .set(as(who))
          .send({});

    // The owner may ask for a production release, another team may not.
    await refused('basket', [BOB, CAROL], user =>
      release('basket', user, 'prod', '3.0.0'),
    );

    let version = 0;
    for (const [decision, approver, outcome] of [
      ['approve', CAROL, 'succeeded'],
      ['reject', DAVE, 'rejected'],
      ['reject', CAROL, 'rejected'],
      ['approve', DAVE, 'succeeded'],
    ] as const) {
      version += 1;
      const pending = await waiting('basket', ALICE, `3.0.${version}`);
      await refused('basket', [ALICE, BOB], decide(pending.id, decision));
      const res = await decide(pending.id, decision)(approver);
      expect({ decision, approver, status: res.status }).toEqual({
        decision,
        approver,
        status: 200,
      });
      expect(res.body.approvedBy).toBe(approver);
      const decided = await poll(
        `release ${pending.id} ${outcome}`,
        async () => {
          const r = await getRelease(pending.id);
          return ['succeeded', 'failed', 'timed-out', 'rejected'].includes(
            r.status,
          )
            ? r
            : undefined;
        },
        60_000,
      );
      expect(decided.status).toBe(outcome);
      await settled('basket', 'prod');
    }

    // Erin owns basket and approves production releases, but not her own.
    const erins = await waiting('basket', ERIN, '3.1.0');
    for (const decision of ['approve', 'reject'] as const) {
      await refused('basket', [ERIN], decide(erins.id, decision));
    }
    const byCarol = await decide(erins.id, 'approve')(CAROL);
    expect(byCarol.status).toBe(200);
    await finished(erins.id);
  });

  describe("another team's service", () => {
    /**
     * Alice owns basket, not ledger: every change she asks for on ledger is refused,
     * because the catalog judges ownership of the entity the request names. A check
     * that asked only "is Alice in an owning team?" would let all of these through.
     */
    it('is refused to Alice on every route, with nothing changed, while its own team may change it', async () => {
      const [pod] = await livePods('ledger');
      const ledgerPod = pod.metadata.name;
      const ledgerPending = await waiting('ledger', BOB, '2.0.0');
      const attempts: Array<[string, Send]> = [
        ['release', user => release('ledger', user, 'test', '9.9.9')],
        ['release to prod', user => release('ledger', user, 'prod', '9.9.9')],
        [
          'rollback',
          user =>
            server()
              .post(`${API}/releases/${firstLedger.id}/rollback`)
              .set(as(user))
              .send({}),
        ],
        [
          'scale',
          user =>
            server()
              .post(`${envBase('ledger')}/scale`)
              .set(as(user))
              .send({ replicas: 3 }),
        ],
        [
          'restart',
          user =>
            server()
              .post(`${envBase('ledger')}/restart`)
              .set(as(user))
              .send(),
        ],
        [
          'set autoscaling',
          user =>
            server()
              .put(`${envBase('ledger')}/autoscaling`)
              .set(as(user))
              .send({ minReplicas: 2, maxReplicas: 5, cpuUtilization: 70 }),
        ],
        [
          'remove autoscaling',
          user =>
            server()
              .delete(`${envBase('ledger')}/autoscaling`)
              .set(as(user)),
        ],
        [
          'take out of traffic',
          user =>
            server()
              .put(`${instanceBase('ledger', ledgerPod)}/traffic`)
              .set(as(user))
              .send({ inTraffic: false }),
        ],
        [
          'restart an instance',
          user =>
            server()
              .post(`${instanceBase('ledger', ledgerPod)}/restart`)
              .set(as(user)),
        ],
        [
          'destroy an instance',
          user =>
            server().delete(instanceBase('ledger', ledgerPod)).set(as(user)),
        ],
        [
          'withdraw a waiting release',
          user =>
            server()
              .post(`${API}/releases/${ledgerPending.id}/cancel`)
              .set(as(user))
              .send({}),
        ],
      ];
      for (const [what, send] of attempts) {
        try {
          await refused('ledger', [ALICE], send);
        } catch (error) {
          throw new Error(`${what}: ${(error as Error).message}`);
        }
      }
      expect((await getRelease(ledgerPending.id)).status).toBe(
        'pending-approval',
      );
      expect(
        (await livePods('ledger')).find(p => p.metadata.name === ledgerPod)
          ?.metadata.labels['k2.io/traffic'],
      ).toBe('on');

      // Ledger's own team may change it; the decision follows the entity.
      const byBob = await server()
        .post(`${envBase('ledger')}/scale`)
        .set(as(BOB))
        .send({ replicas: 3 });
      expect(byBob.status).toBe(201);
      await finished(byBob.body.id);
      const withdrawn = await server()
        .post(`${API}/releases/${ledgerPending.id}/cancel`)
        .set(as(BOB))
        .send({});
      expect(withdrawn.status).toBe(200);
    });
  });
});
