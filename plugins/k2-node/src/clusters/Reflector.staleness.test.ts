import {
  SandboxCluster,
  seedRunningDeployment,
} from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import {
  accessTo,
  expectCacheMatchesList,
  startSandbox,
} from './__testUtils__/sandbox';
import { K2ClusterAccess } from './K2ClusterAccess';
import { CONSISTENCY_CHECK_USER_AGENT } from './Reflector';

jest.setTimeout(60_000);

/**
 * The field report, at a tenth of its timings: watches on one cluster stay open but
 * silent for 40 s (here 6 s) while its Deployment scales from 1 to 3; the silent-watch
 * timeout is 150 s (here 15 s), so it never fires. The consistency check runs every
 * second here (15 s by default).
 */
const STALL_SECONDS = 6;
const CHECK_INTERVAL_MS = 1_000;
/**
 * How long a loss may go unnoticed: a check reads the server after it (up to 1.25
 * intervals), the next compares (up to 1.25 more), plus slack for a loaded machine.
 */
const CHECK_BOUND_MS = 2.5 * CHECK_INTERVAL_MS + 1_000;

const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/svc-a';

interface Sample {
  at: number;
  status: string;
  message?: string;
  pods: number;
}

describe('bounded staleness of the watch caches', () => {
  let cluster: SandboxCluster;
  let access: K2ClusterAccess;

  beforeEach(async () => {
    cluster = await startSandbox();
    seedRunningDeployment(cluster, {
      namespace: 'shop',
      name: 'svc-a',
      replicas: 1,
      image: 'registry.k2.local/shop/svc-a:1.0.0',
      labels: { 'backstage.io/kubernetes-id': 'svc-a' },
      service: true,
    });
    access = accessTo([cluster], {
      silentWatchTimeoutMs: 15_000,
      consistencyCheckIntervalMs: CHECK_INTERVAL_MS,
    });
    access.start();
    await access.waitForSync(10_000);
  });

  afterEach(async () => {
    await access.stop();
    await cluster.stop();
  });

  const cachedPods = () => access.cache('alpha').byService('pods', 'svc-a');

  /** Running, ready pods of svc-a as the API server lists them. */
  async function serverPods(): Promise<number> {
    const res = await api(cluster).get(
      `/api/v1/namespaces/shop/pods?labelSelector=${encodeURIComponent(
        'backstage.io/kubernetes-id=svc-a',
      )}`,
    );
    return res.body.items.filter(
      (p: any) =>
        p.status?.phase === 'Running' &&
        p.status?.conditions?.some(
          (c: any) => c.type === 'Ready' && c.status === 'True',
        ),
    ).length;
  }

  it('repairs events a silent watch lost after it came back, and is not ok until then', async () => {
    expect(cachedPods()).toHaveLength(1);
    const samples: Sample[] = [];
    const sampler = setInterval(() => {
      const health = access.health()[0];
      samples.push({
        at: Date.now(),
        status: health.status,
        message: health.error?.message,
        pods: cachedPods().length,
      });
    }, 20);
    try {
      const stalled = await api(cluster).post('/sandbox/faults', {
        watches: { mode: 'stall', seconds: STALL_SECONDS },
      });
      expect(stalled.status).toBe(200);
      const stallEnds = Date.now() + STALL_SECONDS * 1000;

      const scaled = await api(cluster).mergePatch(`${DEPLOYMENT}/scale`, {
        spec: { replicas: 3 },
      });
      expect(scaled.status).toBe(200);
      await poll('3 ready pods on the server', async () =>
        (await serverPods()) === 3 ? true : undefined,
      );
      const scaledAt = Date.now();
      expect(scaledAt).toBeLessThan(stallEnds);

      // The watches stay silent, but the server's count of pods (and of events) grew:
      // noticed, relisted and reported degraded while the stall lasts.
      const repaired = await poll(
        'the 3 pods in the cache during the stall',
        () => samples.find(s => s.at > scaledAt && s.pods === 3),
        STALL_SECONDS * 1000,
      );
      expect(repaired.at).toBeLessThan(stallEnds);
      expect(repaired.at - scaledAt).toBeLessThan(CHECK_BOUND_MS);
      const degraded = samples.filter(
        s => s.at > scaledAt && s.at < stallEnds && s.status === 'degraded',
      );
      expect(degraded.length).toBeGreaterThan(0);
      expect(degraded[0].message).toMatch(
        /consistency check: .* the watches lost events/,
      );

      // The watch comes back alive; the cache is relisted once more and only then ok.
      await poll('the fault to end', () => Date.now() > stallEnds, 10_000);
      await poll(
        'the cluster ok after the stall',
        () => access.health()[0].status === 'ok',
        CHECK_BOUND_MS + 5_000,
      );
      expect(cachedPods()).toHaveLength(3);
      await expectCacheMatchesList(access, cluster);
      const deployment = access
        .cache('alpha')
        .byService('deployments', 'svc-a');
      expect(deployment[0].spec.replicas).toBe(3);
      const okAgain = samples.find(s => s.at > stallEnds && s.status === 'ok');
      expect(okAgain).toBeDefined();
      // Not ok while the watches were silent, once the loss had been noticed.
      expect(
        samples.filter(
          s => s.at > repaired.at && s.at < stallEnds && s.status === 'ok',
        ),
      ).toEqual([]);

      // Never the wrong pods reported as current, beyond the first check's bound.
      const wrongButOk = samples.filter(
        s =>
          s.at > scaledAt + CHECK_BOUND_MS && s.pods !== 3 && s.status === 'ok',
      );
      expect(wrongButOk).toEqual([]);

      // The check found it, not the silent-watch timeout.
      const counters = access.cache('alpha').counters();
      expect(
        Object.values(counters).reduce((n, c) => n + c.lossesFound, 0),
      ).toBeGreaterThan(0);
      // Every resource type was relisted, not only the ones whose count showed it.
      expect(counters.deployments.repairs).toBeGreaterThan(0);
      expect(
        Object.values(counters).reduce((n, c) => n + c.watchdogRestarts, 0),
      ).toBe(0);
    } finally {
      clearInterval(sampler);
    }
  });

  it('checks a busy and a quiet cluster with one small LIST per type and interval, without false alarms', async () => {
    const checksSoFar = () =>
      Object.values(access.cache('alpha').counters()).reduce(
        (n, c) => n + c.checks,
        0,
      );
    cluster.counters.reset();
    const checksBefore = checksSoFar();
    const started = Date.now();
    // Busy: a scale-up, a scale-down and a deletion while the checks run.
    await api(cluster).mergePatch(`${DEPLOYMENT}/scale`, {
      spec: { replicas: 4 },
    });
    await poll('4 pods in the cache', () => cachedPods().length === 4);
    await api(cluster).mergePatch(`${DEPLOYMENT}/scale`, {
      spec: { replicas: 2 },
    });
    await poll('2 pods in the cache', () => cachedPods().length === 2);
    // Quiet: the checks keep passing.
    await new Promise(r => setTimeout(r, 4_000));
    const seconds = (Date.now() - started) / 1000;

    const counters = Object.values(access.cache('alpha').counters());
    const checks = checksSoFar() - checksBefore;
    // 11 resource types, one check each per interval on average.
    expect(checks).toBeGreaterThanOrEqual(11 * Math.floor(seconds - 2));
    expect(counters.reduce((n, c) => n + c.repairs, 0)).toBe(0);
    expect(counters.reduce((n, c) => n + c.failedChecks, 0)).toBe(0);
    // Every LIST in the meantime was a check, and said so in its User-Agent.
    const checkLists = cluster.counters.byUserAgent(
      CONSISTENCY_CHECK_USER_AGENT,
      'list',
    );
    expect(cluster.counters.total('list')).toBe(checkLists);
    expect(Math.abs(checkLists - checks)).toBeLessThanOrEqual(11);
    expect(access.health()[0].status).toBe('ok');
    await expectCacheMatchesList(access, cluster);
  });
});
