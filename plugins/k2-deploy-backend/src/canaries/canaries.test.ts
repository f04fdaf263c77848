import {
  K2Canary,
  K2CanaryState,
  K2Release,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  DAVE,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const REGISTRY = 'registry.k2.local/shop';
const API = '/api/k2-deploy/services/default';

/**
 * One service per scenario, so none depends on the releases or canaries another left:
 * `checkout` runs the whole life of canaries (start, refusals, abort, promote),
 * `fresh` has no stable release, `faulty` meets a cluster that refuses its canary,
 * `guarded` runs in an environment whose releases need approval.
 */
const entities = [
  ...['checkout', 'fresh', 'faulty'].map(name =>
    serviceEntity(name, {
      'k2.io/environments': 'test',
      'k2.io/namespace': 'shop',
      'k2.io/image': `${REGISTRY}/${name}`,
    }),
  ),
  serviceEntity('guarded', {
    'k2.io/environments': 'prod',
    'k2.io/namespace': 'shop',
    'k2.io/image': `${REGISTRY}/guarded`,
  }),
];

describe('canary releases, through the REST API, on sandbox clusters', () => {
  const bed = useK2DeployTestBed({
    clusters: ['east', 'west', 'prod'],
    backend: {
      entities,
      k2: {
        environments: [
          {
            ...testEnvironment('test', {
              clusters: [
                { name: 'east', weight: 50 },
                { name: 'west', weight: 50 },
              ],
              replicas: 2,
            }),
            limits: { maxReplicas: 10 },
          },
          testEnvironment('prod', {
            clusters: [{ name: 'prod' }],
            production: true,
          }),
        ],
      },
    },
  });
  const server = () => request(bed.backend.server);
  const canaryPath = (service: string, environment = 'test') =>
    `${API}/${service}/environments/${environment}/canary`;

  async function released(service: string, tag: string, environment = 'test') {
    const res = await server()
      .post(`${API}/${service}/releases`)
      .set(as(ALICE))
      .send({ environment, image: tag });
    expect(res.status).toBe(201);
    return res.body as K2Release;
  }

  async function succeeded(service: string, tag: string) {
    const release = await released(service, tag);
    const done = await releaseFinished(bed.backend, release.id);
    expect(done.status).toBe('succeeded');
    return done;
  }

  const start = (service: string, body: object, user = ALICE, env = 'test') =>
    server().post(canaryPath(service, env)).set(as(user)).send(body);

  async function state(service: string, environment = 'test') {
    const res = await server()
      .get(canaryPath(service, environment))
      .set(as(BOB));
    expect(res.status).toBe(200);
    return (res.body as K2CanaryState).canary;
  }

  /** The Deployment `name` in namespace shop of a cluster, or undefined. */
  async function deployment(cluster: string, name: string) {
    const res = await api(bed.cluster(cluster)).get(
      `/apis/apps/v1/namespaces/shop/deployments/${name}`,
    );
    return res.status === 404 ? undefined : res.body;
  }

  /** The pods of the service in a cluster, as the API lists them. */
  async function pods(cluster: string, service: string) {
    const res = await api(bed.cluster(cluster)).get(
      `/api/v1/namespaces/shop/pods?labelSelector=k2.io/service=${service}`,
    );
    return res.body.items as Array<{
      metadata: { name: string; labels: Record<string, string> };
      spec: { containers: Array<{ image: string }> };
    }>;
  }

  const allReady = (canary?: K2Canary) =>
    canary?.clusters.length &&
    canary.clusters.every(c => c.ready === c.replicas && c.total === c.replicas)
      ? canary
      : undefined;

  it('starts a canary beside the stable release, refuses a second one, and aborts it', async () => {
    await succeeded('checkout', '1.0.0');

    const res = await start('checkout', { image: '1.1.0-rc1' });
    expect(res.status).toBe(201);
    const started: K2Canary = res.body;
    expect(started).toMatchObject({
      status: 'running',
      image: `${REGISTRY}/checkout:1.1.0-rc1`,
      replicas: 1,
      baseRelease: { number: 1 },
      startedBy: ALICE,
    });

    // In both clusters: `checkout-canary`, selecting and labelling its pods by track.
    for (const cluster of ['east', 'west']) {
      const canary = await deployment(cluster, 'checkout-canary');
      expect(canary.spec.replicas).toBe(1);
      expect(canary.spec.selector.matchLabels).toEqual({
        'k2.io/service': 'checkout',
        'k2.io/environment': 'test',
        'k2.io/track': 'canary',
      });
      expect(canary.spec.template.metadata.labels).toMatchObject({
        'k2.io/service': 'checkout',
        'k2.io/environment': 'test',
        'app.kubernetes.io/managed-by': 'k2',
        'k2.io/traffic': 'on',
        'k2.io/track': 'canary',
      });
      expect(canary.spec.template.spec.containers[0].image).toBe(
        `${REGISTRY}/checkout:1.1.0-rc1`,
      );
      // The stable Deployment is the release's, untouched.
      const stable = await deployment(cluster, 'checkout');
      expect(stable.spec.template.spec.containers[0].image).toBe(
        `${REGISTRY}/checkout:1.0.0`,
      );
      expect(stable.spec.template.metadata.labels['k2.io/track']).toBe(
        undefined,
      );
    }

    // Its pods come up, and are the service's instances marked as canary.
    const ready = await poll(
      'canary pods ready',
      async () => allReady(await state('checkout')),
      30_000,
    );
    expect(ready.clusters).toEqual([
      { cluster: 'east', replicas: 1, ready: 1, total: 1 },
      { cluster: 'west', replicas: 1, ready: 1, total: 1 },
    ]);
    const runtime: K2ServiceRuntime = (
      await server().get(`${API}/checkout/runtime`).set(as(BOB))
    ).body;
    const east = runtime.environments[0].clusters.find(
      c => c.cluster === 'east',
    )!;
    expect(
      east.workloads.map(w => ({ name: w.name, track: w.track })).sort(),
    ).toEqual([
      { name: 'checkout', track: undefined },
      { name: 'checkout-canary', track: 'canary' },
    ]);
    const canaryPods = east.pods.filter(p => p.track === 'canary');
    expect(canaryPods).toHaveLength(1);
    expect(canaryPods[0].images).toEqual([`${REGISTRY}/checkout:1.1.0-rc1`]);
    expect(
      east.pods.filter(p => p.track === undefined).map(p => p.images),
    ).toEqual([[`${REGISTRY}/checkout:1.0.0`]]);

    // A second canary while one runs: 409 naming the running one.
    const second = await start('checkout', { image: '1.2.0' });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(
      `${REGISTRY}/checkout:1.1.0-rc1`,
    );
    expect(second.body.error.message).toContain(ALICE);
    // Another team may read it, not abort it.
    const refused = await server()
      .post(`${canaryPath('checkout')}/abort`)
      .set(as(BOB));
    expect(refused.status).toBe(403);

    const aborted = await server()
      .post(`${canaryPath('checkout')}/abort`)
      .set(as(ALICE));
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({
      status: 'aborted',
      endedBy: ALICE,
      clusters: [],
    });
    for (const cluster of ['east', 'west']) {
      expect(await deployment(cluster, 'checkout-canary')).toBeUndefined();
      expect(await deployment(cluster, 'checkout')).toBeDefined();
    }
    await poll(
      'canary pods gone',
      async () => {
        const left = await pods('east', 'checkout');
        return left.every(p => p.metadata.labels['k2.io/track'] === undefined)
          ? left
          : undefined;
      },
      30_000,
    );
    expect((await state('checkout'))?.status).toBe('aborted');
    // Nothing left to abort.
    const again = await server()
      .post(`${canaryPath('checkout')}/abort`)
      .set(as(ALICE));
    expect(again.status).toBe(404);

    // Audited like releases: who did what, allowed or refused, in the activity log.
    const activity = await server()
      .get('/api/k2/services/default/checkout/activity?limit=100')
      .set(as(BOB));
    const canaryEntries = (
      activity.body.items as Array<{
        actor: string;
        action: string;
        result: string;
      }>
    )
      .filter(e => e.action.startsWith('canary-'))
      .map(({ actor, action, result }) => ({ actor, action, result }))
      .reverse();
    expect(canaryEntries).toEqual([
      { actor: ALICE, action: 'canary-start', result: 'succeeded' },
      { actor: ALICE, action: 'canary-start', result: 'failed' },
      { actor: BOB, action: 'canary-abort', result: 'failed' },
      { actor: ALICE, action: 'canary-abort', result: 'succeeded' },
      { actor: ALICE, action: 'canary-abort', result: 'failed' },
    ]);
  });

  it('promotes a canary through release N+1 of its image, removing it once that rolled out', async () => {
    const stable = await poll(
      'checkout stable',
      async () => {
        const res = await server()
          .get(`${API}/checkout/releases?environment=test`)
          .set(as(BOB));
        return res.body.items[0]?.status === 'succeeded'
          ? (res.body.items[0] as K2Release)
          : undefined;
      },
      30_000,
    );
    const res = await start('checkout', { image: '2.0.0', replicas: 2 });
    expect(res.status).toBe(201);
    await poll(
      'canary pods ready',
      async () => allReady(await state('checkout')),
      30_000,
    );

    const promoted = await server()
      .post(`${canaryPath('checkout')}/promote`)
      .set(as(ALICE));
    expect(promoted.status).toBe(200);
    expect(promoted.body.status).toBe('running');
    expect(promoted.body.promotion.number).toBe(stable.number + 1);
    // The canary still runs while its release rolls out.
    expect(await deployment('east', 'checkout-canary')).toBeDefined();
    const again = await server()
      .post(`${canaryPath('checkout')}/promote`)
      .set(as(ALICE));
    expect(again.status).toBe(409);

    const release = await releaseFinished(
      bed.backend,
      promoted.body.promotion.releaseId,
    );
    expect(release).toMatchObject({
      status: 'succeeded',
      number: stable.number + 1,
      spec: { image: `${REGISTRY}/checkout:2.0.0`, replicas: 2 },
    });
    const done = await poll(
      'canary promoted',
      async () => {
        const canary = await state('checkout');
        return canary?.status === 'promoted' ? canary : undefined;
      },
      30_000,
    );
    expect(done.promotion?.number).toBe(stable.number + 1);
    for (const cluster of ['east', 'west']) {
      expect(await deployment(cluster, 'checkout-canary')).toBeUndefined();
      expect(
        (await deployment(cluster, 'checkout')).spec.template.spec.containers[0]
          .image,
      ).toBe(`${REGISTRY}/checkout:2.0.0`);
    }
  });

  it('refuses a canary without a stable release, for another team, or with absurd values', async () => {
    const before = await state('checkout');
    const none = await start('fresh', { image: '1.0.0' });
    expect(none.status).toBe(409);
    expect(none.body.error.message).toContain('no stable release');

    expect((await start('checkout', { image: '3.0.0' }, BOB)).status).toBe(403);
    // Names the catalog does not hold, or under another namespace.
    for (const path of [
      '/api/k2-deploy/services/default/no-such-service/environments/test/canary',
      '/api/k2-deploy/services/finance/checkout/environments/test/canary',
    ]) {
      expect(
        (await server().post(path).set(as(ALICE)).send({ image: '1.0.0' }))
          .status,
      ).toBe(403);
      expect(
        (await server().post(path).set(as(DAVE)).send({ image: '1.0.0' }))
          .status,
      ).toBe(404);
    }

    for (const body of [
      { image: '3.0.0', replicas: 0 },
      { image: '3.0.0', replicas: 101 },
      { image: '3.0.0', replicas: 1.5 },
      { image: `${'i'.repeat(100_000)}:1` },
      { image: ' ' },
      { image: 'Not A Tag!' },
      { image: '3.0.0', extra: true },
      {},
    ]) {
      const res = await start('checkout', body);
      expect({
        body: JSON.stringify(body).slice(0, 40),
        status: res.status,
      }).toEqual({ body: JSON.stringify(body).slice(0, 40), status: 400 });
      expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    }
    expect(await state('checkout')).toEqual(before);
    expect(await state('fresh')).toBeUndefined();
  });

  it('refuses canary replicas beyond the environment limit, counting every cluster', async () => {
    // 6 in each of test's 2 clusters is 12, over its limit of 10.
    const res = await start('checkout', { image: '3.0.0', replicas: 6 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(
      "'replicas (6 in each of 2 clusters)' 12",
    );
    for (const cluster of ['east', 'west']) {
      expect(await deployment(cluster, 'checkout-canary')).toBeUndefined();
    }
  });

  it('records a canary a cluster refuses as failed, naming the cluster, and leaves none running', async () => {
    await succeeded('faulty', '1.0.0');
    bed.cluster('west').faults.set({
      errors: {
        code: 500,
        seconds: 30,
        verbs: ['patch', 'create', 'update'],
        resources: ['deployments'],
      },
    });
    try {
      const res = await start('faulty', { image: '1.1.0' });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body.error.message).toContain("cluster 'west'");
    } finally {
      bed.cluster('west').faults.clear();
    }
    const canary = await state('faulty');
    expect(canary).toMatchObject({ status: 'failed', clusters: [] });
    expect(canary?.message).toContain("Could not start in cluster 'west'");
    expect(canary?.message).toContain('removed from every cluster');
    for (const cluster of ['east', 'west']) {
      expect(await deployment(cluster, 'faulty-canary')).toBeUndefined();
    }
    // Failed is not running: a new canary may start, once, however many ask at once.
    const retries = await Promise.all(
      Array.from({ length: 4 }, () => start('faulty', { image: '1.1.1' })),
    );
    expect(retries.map(r => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect((await state('faulty'))?.image).toBe(`${REGISTRY}/faulty:1.1.1`);
  });

  it('starts a canary where releases need approval only for platform admins', async () => {
    // Prod's first release, approved by an approver.
    const first = await released('guarded', '1.0.0', 'prod');
    expect(first.status).toBe('pending-approval');
    const decided = await server()
      .post(`/api/k2-deploy/releases/${first.id}/approve`)
      .set(as('user:default/carol'));
    expect(decided.status).toBe(200);
    expect((await releaseFinished(bed.backend, first.id)).status).toBe(
      'succeeded',
    );

    const owner = await start('guarded', { image: '1.1.0' }, ALICE, 'prod');
    expect(owner.status).toBe(403);
    expect(owner.body.error.message).toContain('only platform admins');
    expect(await deployment('prod', 'guarded-canary')).toBeUndefined();

    const admin = await start('guarded', { image: '1.1.0' }, DAVE, 'prod');
    expect(admin.status).toBe(201);
    expect(await deployment('prod', 'guarded-canary')).toBeDefined();

    // Promoting is a release, so it waits for an approver; the canary runs on.
    const promote = await server()
      .post(`${canaryPath('guarded', 'prod')}/promote`)
      .set(as(ALICE));
    expect(promote.status).toBe(200);
    const waiting = await server()
      .get(`/api/k2-deploy/releases/${promote.body.promotion.releaseId}`)
      .set(as(BOB));
    expect(waiting.body.status).toBe('pending-approval');
    expect(promote.body.message).toContain('waits for approval');
    expect(await deployment('prod', 'guarded-canary')).toBeDefined();
  });
});
