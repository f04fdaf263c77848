import { K2Release } from '@internal/plugin-k2-common';
import { api as kube } from '@internal/sandbox-cluster/testUtils';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  K2DeployTestBackend,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const service = serviceEntity('wishlist', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/wishlist',
});

const environments = [
  testEnvironment('test'),
  testEnvironment('prod', { clusters: [{ name: 'prod-a' }], production: true }),
];

describe('a release waiting for approval, through the REST API', () => {
  const bed = useK2DeployTestBed({ clusters: ['test', 'prod-a'] });

  const backends: K2DeployTestBackend[] = [];

  /** A backend of its own: its own database, on the shared clusters. */
  async function start(k2: JsonObject = {}) {
    const backend = await bed.start({
      entities: [service],
      knex: bed.newDatabase(),
      k2: { environments, ...k2 },
    });
    backends.push(backend);
    return backend;
  }

  function api(backend: K2DeployTestBackend) {
    const post = (path: string, user: string, body: object = {}) =>
      request(backend.server)
        .post(`/api/k2-deploy${path}`)
        .set(as(user))
        .send(body);
    const release = (environment: string, image: string, user = ALICE) =>
      post('/services/default/wishlist/releases', user, {
        environment,
        image,
      });
    const get = async (id: string): Promise<K2Release> => {
      const res = await request(backend.server)
        .get(`/api/k2-deploy/releases/${id}`)
        .set(as(BOB));
      expect(res.status).toBe(200);
      return res.body;
    };
    const finished = (id: string) => releaseFinished(backend, id);
    const activity = async () =>
      (
        await request(backend.server)
          .get('/api/k2/services/default/wishlist/activity?limit=100')
          .set(as(BOB))
      ).body.items as Array<{
        actor: string;
        action: string;
        result: string;
        summary: string;
      }>;
    return { post, release, get, finished, activity };
  }

  it('lets scale and restart through while a production release waits, then applies it on top of them', async () => {
    const { post, release, get, finished } = api(await start());
    const env = '/services/default/wishlist/environments/prod';

    const first = await release('prod', '1.0.0');
    expect(first.status).toBe(201);
    expect(
      (await post(`/releases/${first.body.id}/approve`, CAROL)).status,
    ).toBe(200);
    expect((await finished(first.body.id)).status).toBe('succeeded');

    const waiting = await release('prod', '1.1.0');
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('pending-approval');

    // Scale and restart do not wait behind it.
    const scaled = await post(`${env}/scale`, ALICE, { replicas: 2 });
    expect(scaled.status).toBe(201);
    expect(scaled.body).toMatchObject({ kind: 'scale', status: 'applying' });
    expect(await finished(scaled.body.id)).toMatchObject({
      status: 'succeeded',
      spec: { replicas: 2, image: first.body.spec.image },
    });
    const restarted = await post(`${env}/restart`, ALICE);
    expect(restarted.status).toBe(201);
    expect((await finished(restarted.body.id)).status).toBe('succeeded');
    expect((await get(waiting.body.id)).status).toBe('pending-approval');

    // One waiting release per target: another release, or a rollback (which waits
    // too), is refused naming the one that waits.
    const second = await release('prod', '1.2.0');
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(
      new RegExp(`release #${waiting.body.number} .*waiting for approval`),
    );
    const rollback = await post(`/releases/${first.body.id}/rollback`, ALICE);
    expect(rollback.status).toBe(409);
    expect(rollback.body.error.message).toMatch(
      new RegExp(`release #${waiting.body.number} `),
    );

    // Approved now, it goes out on top of what runs: the image it asked for, the
    // replica count the scale set.
    const approved = await post(`/releases/${waiting.body.id}/approve`, CAROL);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      status: 'applying',
      approvedBy: CAROL,
    });
    expect(await finished(waiting.body.id)).toMatchObject({
      status: 'succeeded',
      spec: {
        image: 'registry.k2.local/shop/wishlist:1.1.0',
        replicas: 2,
        clusters: [{ name: 'prod-a', replicas: 2, weight: 1 }],
      },
    });
    // What kubectl would show.
    const d = (
      await kube(bed.cluster('prod-a')).get(
        '/apis/apps/v1/namespaces/shop/deployments/wishlist',
      )
    ).body;
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers[0].image).toBe(
      'registry.k2.local/shop/wishlist:1.1.0',
    );
  });

  it('is withdrawn by its requester or the owners, never by another team, and cannot be approved after', async () => {
    const { post, release, get, activity } = api(backends[0]);

    const waiting = await release('prod', '1.3.0');
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('pending-approval');

    const byBob = await post(`/releases/${waiting.body.id}/cancel`, BOB);
    expect(byBob.status).toBe(403);
    expect((await get(waiting.body.id)).status).toBe('pending-approval');

    const byAlice = await post(`/releases/${waiting.body.id}/cancel`, ALICE, {
      reason: 'wrong build',
    });
    expect(byAlice.status).toBe(200);
    expect(byAlice.body).toMatchObject({
      status: 'cancelled',
      reason: 'wrong build',
    });
    expect(byAlice.body.finishedAt).toBeDefined();

    const approve = await post(`/releases/${waiting.body.id}/approve`, CAROL);
    expect(approve.status).toBe(409);
    expect(approve.body.error.message).toMatch(/is cancelled/);
    const again = await post(`/releases/${waiting.body.id}/cancel`, ALICE);
    expect(again.status).toBe(409);
    expect((await get(waiting.body.id)).status).toBe('cancelled');

    const entries = await activity();
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: ALICE,
          action: 'release-cancel',
          result: 'succeeded',
        }),
        expect.objectContaining({
          actor: BOB,
          action: 'release-cancel',
          result: 'failed',
        }),
      ]),
    );

    // The target takes a new release again.
    const next = await release('prod', '1.4.0');
    expect(next.status).toBe(201);
    expect(next.body.status).toBe('pending-approval');
    expect((await post(`/releases/${next.body.id}/cancel`, ALICE)).status).toBe(
      200,
    );
  });

  it('expires a release that waited longer than k2.releases.approvalTimeout', async () => {
    const { release, get, finished, activity } = api(
      await start({ releases: { approvalTimeout: { seconds: 2 } } }),
    );
    const waiting = await release('prod', '2.0.0');
    expect(waiting.status).toBe(201);
    expect(waiting.body.status).toBe('pending-approval');
    expect((await get(waiting.body.id)).status).toBe('pending-approval');

    // The driver's scheduled tick expires it (a release elsewhere brings a tick on).
    await new Promise(resolve => setTimeout(resolve, 2500));
    expect((await release('test', '2.0.0')).status).toBe(201);
    const expired = await finished(waiting.body.id);
    expect(expired.status).toBe('expired');
    expect(expired.reason).toMatch(/approvalTimeout/);
    expect(await activity()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: 'k2',
          action: 'release-expired',
          result: 'failed',
        }),
      ]),
    );
  });
});
