import { K2Release, K2ReleaseList } from '@internal/plugin-k2-common';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const service = serviceEntity('basket', {
  'k2.io/environments': 'test,prod',
  'k2.io/namespace': 'shop',
  'k2.io/image': 'registry.k2.local/shop/basket',
  'k2.io/language': 'java',
});

describe('four eyes on production and rollbacks, through the REST API', () => {
  const bed = useK2DeployTestBed({
    clusters: ['test', 'prod-a'],
    backend: {
      entities: [service],
      k2: {
        environments: [
          testEnvironment('test'),
          testEnvironment('prod', {
            clusters: [{ name: 'prod-a' }],
            production: true,
          }),
        ],
      },
    },
  });

  const post = (path: string, user: string, body: object = {}) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy${path}`)
      .set(as(user))
      .send(body);

  const release = (environment: string, image: string, user = ALICE) =>
    post('/services/default/basket/releases', user, { environment, image });

  async function get(id: string): Promise<K2Release> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/releases/${id}`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  async function history(environment: string): Promise<K2ReleaseList> {
    const res = await request(bed.backend.server)
      .get(
        `/api/k2-deploy/services/default/basket/releases?environment=${environment}`,
      )
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  const finished = (id: string) => releaseFinished(bed.backend, id);

  it('never lets the requester approve or reject their own production release, platform admins included', async () => {
    const mine = await release('prod', '1.0.0', DAVE);
    expect(mine.status).toBe(201);
    expect(mine.body.status).toBe('pending-approval');

    for (const decision of ['approve', 'reject']) {
      const own = await post(`/releases/${mine.body.id}/${decision}`, DAVE);
      expect(own.status).toBe(403);
    }
    expect(await get(mine.body.id)).toMatchObject({
      status: 'pending-approval',
      createdBy: DAVE,
    });

    // Another approver decides it.
    const byCarol = await post(`/releases/${mine.body.id}/approve`, CAROL);
    expect(byCarol.status).toBe(200);
    expect(byCarol.body).toMatchObject({
      status: 'applying',
      approvedBy: CAROL,
    });
    expect((await finished(mine.body.id)).status).toBe('succeeded');

    // An owner who is also an approver cannot approve their own release either,
    // but a platform admin who did not ask for it can.
    const erins = await release('prod', '1.0.1', ERIN);
    expect(erins.status).toBe(201);
    const own = await post(`/releases/${erins.body.id}/approve`, ERIN);
    expect(own.status).toBe(403);
    expect((await get(erins.body.id)).status).toBe('pending-approval');
    const byDave = await post(`/releases/${erins.body.id}/approve`, DAVE);
    expect(byDave.status).toBe(200);
    expect(byDave.body.approvedBy).toBe(DAVE);
    expect((await finished(erins.body.id)).status).toBe('succeeded');
  });

  it('rolls back only to a release that succeeded', async () => {
    const good = await release('test', '2.0.0');
    expect(good.status).toBe(201);
    expect((await finished(good.body.id)).status).toBe('succeeded');
    const bad = await release('test', '2.1.0-notfound');
    expect(bad.status).toBe(201);
    expect((await finished(bad.body.id)).status).toBe('failed');
    const total = (await history('test')).total;

    const toFailed = await post(`/releases/${bad.body.id}/rollback`, ALICE);
    expect(toFailed.status).toBe(409);
    expect(toFailed.body.error.message).toMatch(
      new RegExp(`release #${bad.body.number}: it is failed`),
    );
    expect((await history('test')).total).toBe(total);

    const toGood = await post(`/releases/${good.body.id}/rollback`, ALICE);
    expect(toGood.status).toBe(201);
    expect(toGood.body).toMatchObject({
      kind: 'rollback',
      rollbackOf: good.body.id,
    });
    expect((await finished(toGood.body.id)).status).toBe('succeeded');
  });
});
