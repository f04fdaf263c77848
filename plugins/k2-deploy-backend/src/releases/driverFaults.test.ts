import { K2Activity, K2Release } from '@internal/plugin-k2-common';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  releaseFinished,
  serviceEntity,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const IMAGE = 'registry.k2.local/shop';

/**
 * The release driver under faults (issue 14 item 9), through the REST API on sandbox
 * clusters: a cluster that answers nothing, and an activity log that is down.
 */
describe('the release driver under faults', () => {
  // A database file: a second backend takes over from the first.
  const bed = useK2DeployTestBed({
    clusters: ['east', 'west'],
    databaseFile: true,
  });
  const [east, west] = bed.clusters;

  const environment = (name: string, cluster: string, more: object = {}) => ({
    name,
    clusters: [{ name: cluster }],
    defaults: { replicas: 2 },
    release: { timeoutSeconds: 30, drainSeconds: 1, ...more },
  });

  /** A Deploy backend on the test's database file (a second one takes over). */
  const start = () =>
    bed.start({
      entities: [
        serviceEntity('cart', {
          'k2.io/environments': 'alpha,beta',
          'k2.io/namespace': 'shop',
          'k2.io/image': `${IMAGE}/cart`,
        }),
        serviceEntity('basket', {
          'k2.io/environments': 'gamma',
          'k2.io/namespace': 'shop',
          'k2.io/image': `${IMAGE}/basket`,
        }),
      ],
      k2: {
        // West's release keeps retrying well past the time east's release takes.
        releases: { applyRetryTimeout: '20s', clusterCallTimeout: '1s' },
        environments: [
          environment('alpha', 'east'),
          environment('beta', 'west'),
          environment('gamma', 'east', {
            timeoutSeconds: 4,
            autoRollback: true,
          }),
        ],
      },
    });

  /**
   * The activity log (the `k2` plugin) as the Deploy backend reaches it: `up`, answering
   * 500, or unreachable (the connection fails), and the writes it failed.
   */
  const log = { state: 'up' as 'up' | '500' | 'unreachable', failed: 0 };
  const realFetch = global.fetch;

  const release = (service: string, body: object) =>
    request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${service}/releases`)
      .set(as(ALICE))
      .send(body);

  async function get(id: string): Promise<K2Release> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/releases/${id}`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  const finished = (id: string, timeoutMs?: number) =>
    releaseFinished(bed.backend, id, timeoutMs);

  async function activity(service: string): Promise<K2Activity[]> {
    const res = await request(bed.backend.server)
      .get(`/api/k2/services/default/${service}/activity?limit=100`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function podImages(cluster: SandboxCluster, service: string) {
    const pods = await api(cluster).get(
      `/api/v1/namespaces/shop/pods?labelSelector=k2.io/service%3D${service}`,
    );
    return pods.body.items
      .filter((p: any) => !p.metadata.deletionTimestamp)
      .map((p: any) => p.spec.containers[0].image);
  }

  beforeAll(async () => {
    jest
      .spyOn(global, 'fetch')
      .mockImplementation(async (input, init): Promise<Response> => {
        const url = input instanceof Request ? input.url : String(input);
        if (
          log.state !== 'up' &&
          init?.method === 'POST' &&
          url.endsWith('/api/k2/activity')
        ) {
          log.failed++;
          if (log.state === 'unreachable') {
            throw new TypeError('fetch failed');
          }
          return new Response(
            JSON.stringify({
              error: { name: 'Error', message: 'the log is down' },
            }),
            { status: 500, headers: { 'Content-Type': 'application/json' } },
          );
        }
        return realFetch(input, init);
      });
    await start();
  });

  afterEach(async () => {
    log.state = 'up';
    await api(west).delete('/sandbox/faults');
  });

  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('finishes a release on a healthy cluster on time while another cluster answers nothing; the one there fails saying why', async () => {
    // How long a release to alpha takes with every cluster healthy.
    let started = Date.now();
    const first = await release('cart', { environment: 'alpha', image: '1' });
    expect(first.status).toBe(201);
    expect((await finished(first.body.id)).status).toBe('succeeded');
    const normal = Date.now() - started;

    // West takes connections and answers nothing, watches included.
    await api(west).post('/sandbox/faults', { blackhole: { seconds: 60 } });
    await api(west).post('/sandbox/stats/reset', {});
    const stuck = await release('cart', { environment: 'beta', image: '1' });
    expect(stuck.status).toBe(201);
    // The driver is waiting on west before the next release is asked for.
    await poll('the driver applying to west', async () => {
      const stats = await api(west).get('/sandbox/stats');
      return stats.body.requests.some((r: any) => r.verb === 'patch');
    });

    started = Date.now();
    const healthy = await release('cart', { environment: 'alpha', image: '2' });
    expect(healthy.status).toBe(201);
    const done = await finished(healthy.body.id, 30_000);
    const took = Date.now() - started;
    expect(done.status).toBe('succeeded');
    // On time: the previous driver held it behind west's apply for a minute.
    expect(took).toBeLessThan(normal + 10_000);
    expect(await podImages(east, 'cart')).toEqual([
      `${IMAGE}/cart:2`,
      `${IMAGE}/cart:2`,
    ]);

    // Meanwhile the release to west says what holds it (once its first call timed
    // out, which may come after the healthy release finished), then fails with it.
    const waiting = await poll(
      'the release to west saying why it waits',
      async () => {
        const current = await get(stuck.body.id);
        return current.status !== 'applying' || current.reason
          ? current
          : undefined;
      },
    );
    expect(waiting.status).toBe('applying');
    expect(waiting.reason).toMatch(
      /^Retrying: Could not apply .* in cluster 'west'.*timed out after 1000 ms.*did not answer within k2\.releases\.clusterCallTimeout/,
    );
    const failed = await finished(stuck.body.id, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(
      /^Could not apply the release: Could not apply .* in cluster 'west'.*timed out after 1000 ms.*k2\.releases\.clusterCallTimeout/,
    );
  });

  it('rolls back a release that timed out while the activity log is down, and writes its entries once the log is back, even from the next backend', async () => {
    const good = await release('basket', { environment: 'gamma', image: '1' });
    expect((await finished(good.body.id)).status).toBe('succeeded');

    // The log answers 500: the release is still created (the action happened).
    log.state = '500';
    const bad = await release('basket', {
      environment: 'gamma',
      image: '2-neverready',
    });
    expect(bad.status).toBe(201);
    // Then it cannot be reached at all while the release times out.
    log.state = 'unreachable';
    const failedBefore = log.failed;
    // Past its 4 s deadline it ends, saying its pods are not ready: timed out by K2, or
    // failed by the Deployment's progress deadline (the same 4 s), whichever is first.
    const timedOut = await finished(bad.body.id);
    expect(timedOut).toMatchObject({
      status: expect.stringMatching(/^(timed-out|failed)$/),
      reason: expect.stringMatching(/not ready/),
    });
    const ended = `release-${timedOut.status}`;

    const rollback = await poll('the automatic rollback', async () => {
      const res = await request(bed.backend.server)
        .get(
          '/api/k2-deploy/services/default/basket/releases?environment=gamma',
        )
        .set(as(BOB));
      return (res.body.items as K2Release[]).find(r => r.kind === 'rollback');
    });
    expect(rollback).toMatchObject({
      createdBy: 'k2:auto-rollback',
      rollbackOf: good.body.id,
      number: timedOut.number + 1,
    });
    expect((await finished(rollback.id)).status).toBe('succeeded');
    expect(await podImages(east, 'basket')).toEqual([
      `${IMAGE}/basket:1`,
      `${IMAGE}/basket:1`,
    ]);

    // The entries are not in the log; the driver keeps them and tries again.
    const mine = (items: K2Activity[], releaseId: string, action: string) =>
      items.filter(e => e.releaseId === releaseId && e.action === action);
    expect(mine(await activity('basket'), timedOut.id, ended)).toEqual([]);
    await poll(
      'the driver trying the log again',
      () => log.failed >= failedBefore + 3,
    );

    // The backend stops with the entries still owed; the next one writes them (to its
    // own activity log here, which starts empty) once the log answers.
    await bed.backend.stop();
    await start();
    log.state = 'up';
    await poll(
      'both entries in the activity log',
      async () => {
        const items = await activity('basket');
        return (
          mine(items, timedOut.id, ended).length > 0 &&
          mine(items, rollback.id, 'release-succeeded').length > 0
        );
      },
      // A stop in the middle of an attempt leaves them claimed for the 60 s lease.
      90_000,
    );
    const items = await activity('basket');
    expect(mine(items, timedOut.id, ended)).toEqual([
      expect.objectContaining({
        actor: 'k2',
        result: 'failed',
        summary: `Release #${timedOut.number} ${timedOut.status}: ${timedOut.reason}`,
      }),
    ]);
    expect(mine(items, rollback.id, 'release-succeeded')).toHaveLength(1);
    // Nothing is left owing: no second rollback, no second entry.
    const history = await request(bed.backend.server)
      .get('/api/k2-deploy/services/default/basket/releases?environment=gamma')
      .set(as(BOB));
    expect(history.body.items.map((r: K2Release) => r.kind)).toEqual([
      'rollback',
      'release',
      'release',
    ]);
  });
});
