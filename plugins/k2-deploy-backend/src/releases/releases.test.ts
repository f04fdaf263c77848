import { K2Release, K2ReleaseList } from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  releaseFinished,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(90_000);

const REGISTRY = 'registry.k2.local/shop';

/**
 * One service per test, so no test depends on the releases, pods or history another
 * left: each starts from release #1 of its own service (its own Deployment, pods and
 * history) on the shared clusters and backend.
 */
const SERVICES = [
  'first',
  'lossless',
  'history',
  'autoscaled',
  'unpullable',
  'parallel',
  'refused',
  'approved',
  'refusing-cluster',
  'resumed',
] as const;
type Service = (typeof SERVICES)[number];

const imageOf = (service: Service) => `${REGISTRY}/${service}`;

describe('the release engine, through the REST API, on sandbox clusters', () => {
  // A database file, so a second backend can take over from the first.
  const bed = useK2DeployTestBed({
    clusters: ['test', 'prod-a', 'prod-b'],
    databaseFile: true,
  });

  async function start() {
    await bed.start({
      entities: SERVICES.map(name =>
        serviceEntity(name, {
          'k2.io/environments': 'test,prod',
          'k2.io/namespace': 'shop',
          'k2.io/image': imageOf(name),
          'k2.io/language': 'java',
        }),
      ),
      k2: {
        releases: { applyRetryTimeout: '2s' },
        environments: [
          testEnvironment('test', { replicas: 2 }),
          testEnvironment('prod', {
            clusters: [
              { name: 'prod-a', weight: 60 },
              { name: 'prod-b', weight: 40 },
            ],
            replicas: 5,
            production: true,
            autoRollback: true,
          }),
        ],
      },
    });
  }

  const cluster = (name: string) => bed.cluster(name);

  async function release(service: Service, body: object, user = ALICE) {
    return request(bed.backend.server)
      .post(`/api/k2-deploy/services/default/${service}/releases`)
      .set(as(user))
      .send(body);
  }

  /** Releases `image` to test and waits until it succeeded. */
  async function released(service: Service, image: string) {
    const res = await release(service, { environment: 'test', image });
    expect(res.status).toBe(201);
    expect((await finished(res.body.id)).status).toBe('succeeded');
    return res.body as K2Release;
  }

  /** A POST to one of the service's environment actions (scale, restart). */
  const act = (service: Service, action: string) =>
    request(bed.backend.server)
      .post(
        `/api/k2-deploy/services/default/${service}/environments/test/${action}`,
      )
      .set(as(ALICE));

  async function get(id: string): Promise<K2Release> {
    const res = await request(bed.backend.server)
      .get(`/api/k2-deploy/releases/${id}`)
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  function finished(id: string) {
    return releaseFinished(bed.backend, id);
  }

  async function history(
    service: Service,
    environment: string,
  ): Promise<K2ReleaseList> {
    const res = await request(bed.backend.server)
      .get(
        `/api/k2-deploy/services/default/${service}/releases?environment=${environment}`,
      )
      .set(as(BOB));
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The service's pods in a cluster, terminating ones left out. */
  async function pods(name: string, service: Service): Promise<any[]> {
    const list = await api(cluster(name)).get(
      `/api/v1/namespaces/shop/pods?labelSelector=k2.io/service%3D${service}`,
    );
    return list.body.items.filter((p: any) => !p.metadata.deletionTimestamp);
  }

  async function podImages(name: string, service: Service): Promise<string[]> {
    return (await pods(name, service)).map(p => p.spec.containers[0].image);
  }

  beforeAll(start);

  it('releases to test: lossless Deployment, live progress, success, the new image on every pod', async () => {
    const image = imageOf('first');
    const res = await release('first', {
      environment: 'test',
      image: '1.0.0',
      message: 'first',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      number: 1,
      status: 'applying',
      createdBy: ALICE,
    });
    const done = await finished(res.body.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toEqual([
      expect.objectContaining({
        cluster: 'test',
        replicas: 2,
        ready: 2,
        updated: 2,
        done: true,
      }),
    ]);
    expect(await podImages('test', 'first')).toEqual([
      `${image}:1.0.0`,
      `${image}:1.0.0`,
    ]);

    // What kubectl would show: the objects K2 made.
    const d = (
      await api(cluster('test')).get(
        '/apis/apps/v1/namespaces/shop/deployments/first',
      )
    ).body;
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(d.metadata.labels).toMatchObject({
      'backstage.io/kubernetes-id': 'first',
      'k2.io/service': 'first',
      'app.kubernetes.io/managed-by': 'k2',
    });
    const container = d.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({
      path: '/healthz',
      port: 'http',
    });
    expect(container.lifecycle.preStop.exec.command).toEqual([
      'sh',
      '-c',
      'sleep 1',
    ]);
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'K2_ENVIRONMENT', value: 'test' },
        {
          name: 'POD_IP',
          valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
        },
        expect.objectContaining({ name: 'JAVA_TOOL_OPTIONS' }),
      ]),
    );
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(31);
    const managers = d.metadata.managedFields.map((f: any) => f.manager);
    expect(managers).toContain('k2');
  });

  it('keeps every request to the Service on ready pods through a rolling release', async () => {
    const image = imageOf('lossless');
    await released('lossless', '1.0.0');
    // Watch every change to the Service's endpoints during the next release.
    const c = cluster('test');
    const violations: string[] = [];
    let seen = 0;
    let watching = true;
    const podType = c.type('', 'pods');
    c.store.onChange(event => {
      if (!watching) return;
      if (
        event.object.kind !== 'Endpoints' ||
        event.object.metadata.name !== 'lossless'
      )
        return;
      seen++;
      const addresses = (event.object.subsets ?? []).flatMap(
        (s: any) => s.addresses ?? [],
      );
      if (addresses.length < 2)
        violations.push(`${addresses.length} ready addresses`);
      for (const a of addresses) {
        const pod = c.store.get(podType, 'shop', a.targetRef.name);
        const ready = pod?.status?.conditions?.find(
          (k: any) => k.type === 'Ready',
        );
        if (ready?.status !== 'True')
          violations.push(`${a.targetRef.name} not ready`);
      }
    });
    try {
      await released('lossless', '1.1.0');
    } finally {
      watching = false;
    }
    expect(seen).toBeGreaterThan(2);
    expect(violations).toEqual([]);
    expect(await podImages('test', 'lossless')).toEqual([
      `${image}:1.1.0`,
      `${image}:1.1.0`,
    ]);
  });

  it('lists history newest first, rolls back as a new release, and scales', async () => {
    const image = imageOf('history');
    await released('history', '1.0.0');
    await released('history', '1.1.0');
    const before = await history('history', 'test');
    expect(before.items.map(r => [r.number, r.spec.image])).toEqual([
      [2, `${image}:1.1.0`],
      [1, `${image}:1.0.0`],
    ]);
    const first = before.items[1];
    const back = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${first.id}/rollback`)
      .set(as(ALICE))
      .send({});
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({
      number: 3,
      kind: 'rollback',
      rollbackOf: first.id,
    });
    expect((await finished(back.body.id)).status).toBe('succeeded');
    expect(await podImages('test', 'history')).toEqual([
      `${image}:1.0.0`,
      `${image}:1.0.0`,
    ]);

    const scaled = await act('history', 'scale').send({ replicas: 4 });
    expect(scaled.status).toBe(201);
    expect((await finished(scaled.body.id)).status).toBe('succeeded');
    expect(await podImages('test', 'history')).toHaveLength(4);
    // The recommendation sums the pods' usage from the metrics API.
    const advice = await request(bed.backend.server)
      .get(
        '/api/k2-deploy/services/default/history/environments/test/recommendation',
      )
      .set(as(BOB));
    expect(advice.status).toBe(200);
    expect(advice.body).toMatchObject({ pods: 4, cpuTarget: 70 });
    expect(advice.body.cpuUsage).toBeGreaterThan(0);
    expect(advice.body.replicas).toBeGreaterThanOrEqual(1);

    // Scaling kept the pods' template: no new ReplicaSet.
    const rs = await api(cluster('test')).get(
      '/apis/apps/v1/namespaces/shop/replicasets?labelSelector=k2.io/service%3Dhistory',
    );
    const live = rs.body.items.filter((r: any) => r.spec.replicas > 0);
    expect(live).toHaveLength(1);

    // A restart replaces every pod from the same spec.
    const podsBefore = await pods('test', 'history');
    const restarted = await act('history', 'restart').send({});
    expect(restarted.status).toBe(201);
    expect(restarted.body.kind).toBe('restart');
    expect((await finished(restarted.body.id)).status).toBe('succeeded');
    const names = (list: any[]) => list.map(p => p.metadata.name);
    const podsAfter = await pods('test', 'history');
    expect(names(podsAfter)).toHaveLength(4);
    expect(names(podsAfter).filter(n => names(podsBefore).includes(n))).toEqual(
      [],
    );
    expect(await podImages('test', 'history')).toEqual(
      Array(4).fill(`${image}:1.0.0`),
    );
  });

  it('hands the replica count to a native HPA and takes it back', async () => {
    await released('autoscaled', '1.0.0');
    const hpaPath =
      '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/autoscaled';
    const autoscaling =
      '/api/k2-deploy/services/default/autoscaled/environments/test/autoscaling';
    const on = await request(bed.backend.server)
      .put(autoscaling)
      .set(as(ALICE))
      .send({ minReplicas: 2, maxReplicas: 6, cpuUtilization: 60 });
    expect(on.status).toBe(201);
    expect((await finished(on.body.id)).status).toBe('succeeded');
    const hpa = await api(cluster('test')).get(hpaPath);
    expect(hpa.body.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    // While the HPA owns the count, a fixed scale is refused with the reason.
    const refused = await act('autoscaled', 'scale').send({ replicas: 3 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/Autoscaling sets the replicas/);
    const bad = await request(bed.backend.server)
      .put(autoscaling)
      .set(as(ALICE))
      .send({ minReplicas: 5, maxReplicas: 2, cpuUtilization: 60 });
    expect(bad.status).toBe(400);

    const off = await request(bed.backend.server)
      .delete(autoscaling)
      .set(as(ALICE));
    expect(off.status).toBe(201);
    expect((await finished(off.body.id)).status).toBe('succeeded');
    await poll('HPA deleted', async () =>
      (await api(cluster('test')).get(hpaPath)).status === 404
        ? true
        : undefined,
    );
    // Back to a fixed count: scaling works again.
    const scaled = await act('autoscaled', 'scale').send({ replicas: 4 });
    expect(scaled.status).toBe(201);
    expect((await finished(scaled.body.id)).status).toBe('succeeded');
    expect(await podImages('test', 'autoscaled')).toHaveLength(4);
  });

  it('fails a release whose image cannot be pulled, with that reason', async () => {
    const image = imageOf('unpullable');
    await released('unpullable', '1.0.0');
    const res = await release('unpullable', {
      environment: 'test',
      image: '9.9.9-notfound',
    });
    const done = await finished(res.body.id);
    expect(done.status).toBe('failed');
    expect(done.reason).toMatch(/unpullable:9.9.9-notfound cannot be pulled/);
    // The old pods kept serving.
    expect(
      (await podImages('test', 'unpullable')).filter(
        i => i === `${image}:1.0.0`,
      ),
    ).toHaveLength(2);
  });

  it('accepts one of several parallel releases; the others get 409 naming it', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(i =>
        release('parallel', { environment: 'test', image: `2.0.${i}` }),
      ),
    );
    const accepted = results.filter(r => r.status === 201);
    const refused = results.filter(r => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.body.error.message).toMatch(
        new RegExp(`already has release #${accepted[0].body.number} `),
      );
    }
    expect((await finished(accepted[0].body.id)).status).toBe('succeeded');
  });

  it('refuses malformed requests and non-owners, writing nothing', async () => {
    for (const [body, message] of [
      [{ environment: 'test' }, /'image' is required/],
      [{ environment: 'staging', image: '1.0.0' }, /does not run in 'staging'/],
      [{ environment: 'test', image: 'UPPER CASE' }, /not a valid tag/],
      [
        { environment: 'test', image: '1.0.0', replicas: 0 },
        /'replicas' must be/,
      ],
      [
        {
          environment: 'test',
          image: '1.0.0',
          env: [{ name: 'POD_IP', value: 'x' }],
        },
        /set by K2/,
      ],
      [
        { environment: 'test', image: '1.0.0', resources: { cpu: 'lots' } },
        /'resources.cpu'/,
      ],
      [
        { environment: 'test', image: '1.0.0', colour: 'blue' },
        /Unknown field\(s\) 'colour'/,
      ],
    ] as const) {
      const res = await release('refused', body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const denied = await release(
      'refused',
      { environment: 'test', image: '3.0.0' },
      BOB,
    );
    expect(denied.status).toBe(403);
    expect((await history('refused', 'test')).total).toBe(0);

    const activity = await request(bed.backend.server)
      .get('/api/k2/services/default/refused/activity?limit=100')
      .set(as(BOB));
    expect(activity.body.items[0]).toMatchObject({
      actor: BOB,
      action: 'release-create',
      result: 'failed',
    });
  });

  it('holds a production release for an approver, then rolls it out 60/40 across prod-a and prod-b', async () => {
    const image = imageOf('approved');
    const res = await release('approved', {
      environment: 'prod',
      image: '1.0.0',
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending-approval');
    expect(res.body.spec.clusters).toEqual([
      { name: 'prod-a', replicas: 3, weight: 60 },
      { name: 'prod-b', replicas: 2, weight: 40 },
    ]);
    const byBob = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${res.body.id}/approve`)
      .set(as(BOB))
      .send({});
    expect(byBob.status).toBe(403);
    expect(byBob.body.error.message).toMatch(
      /approved by members of group:default\/release-approvers/,
    );
    const byCarol = await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${res.body.id}/approve`)
      .set(as(CAROL))
      .send({});
    expect(byCarol.status).toBe(200);
    expect(byCarol.body).toMatchObject({
      status: 'applying',
      approvedBy: CAROL,
    });
    expect((await finished(res.body.id)).status).toBe('succeeded');
    expect(await podImages('prod-a', 'approved')).toHaveLength(3);
    expect(await podImages('prod-b', 'approved')).toHaveLength(2);

    // prod rolls back on its own when a release fails.
    const bad = await release('approved', {
      environment: 'prod',
      image: '1.1.0-crashloop',
    });
    await request(bed.backend.server)
      .post(`/api/k2-deploy/releases/${bad.body.id}/approve`)
      .set(as(CAROL))
      .send({});
    const failed = await finished(bad.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/Crash loop: container approved/);
    const rollback = await poll('automatic rollback', async () => {
      const h = await history('approved', 'prod');
      return h.items.find(r => r.kind === 'rollback');
    });
    expect(rollback).toMatchObject({
      createdBy: 'k2:auto-rollback',
      rollbackOf: res.body.id,
      number: failed.number + 1,
    });
    expect((await finished(rollback.id)).status).toBe('succeeded');
    expect(await podImages('prod-a', 'approved')).toEqual(
      Array(3).fill(`${image}:1.0.0`),
    );
  });

  it('fails a release with the API error when a cluster keeps refusing the apply', async () => {
    await api(cluster('test')).post('/sandbox/faults', {
      errors: { code: 503, seconds: 6, verbs: ['patch'] },
    });
    try {
      const res = await release('refusing-cluster', {
        environment: 'test',
        image: '4.0.0',
      });
      const done = await finished(res.body.id);
      expect(done.status).toBe('failed');
      expect(done.reason).toMatch(/Could not apply the release: .*503/);
    } finally {
      await api(cluster('test')).delete('/sandbox/faults');
    }
    // Nothing stays in flight: the next release goes through.
    await released('refusing-cluster', '4.0.1');
  });

  it('resumes a release after the backend stops mid-rollout', async () => {
    const res = await release('resumed', {
      environment: 'test',
      image: '5.0.0',
      replicas: 4,
    });
    expect(res.status).toBe(201);
    await poll('rolling out', async () =>
      (await get(res.body.id)).status === 'rolling-out' ? true : undefined,
    );
    await bed.backend.stop();
    await start();
    const done = await finished(res.body.id);
    expect(done.status).toBe('succeeded');
    expect(await podImages('test', 'resumed')).toEqual(
      Array(4).fill(`${imageOf('resumed')}:5.0.0`),
    );
  });
});
