import { K2Release } from '@internal/plugin-k2-common';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const SECRET = 'adoption-test-secret-9f3a';
const REGISTRY = 'registry.k2.local/finance';

/**
 * Deployed by hand in `finance` before K2, each with a Deployment of its name, labelled
 * with its kubernetes-id (so the Deploy overview shows it) unless a test says otherwise.
 */
const service = (name: string, environments = 'test') =>
  serviceEntity(name, {
    'k2.io/environments': environments,
    'k2.io/namespace': 'finance',
    'k2.io/image': `${REGISTRY}/${name}`,
  });

/** Runs 1.13.0 × 2, with a Service made by hand selecting its pods. */
const ledger = service('ledger');
/** Declared for K2, but nothing runs yet. */
const empty = service('empty');
/** Its Deployment is labelled as another service's. */
const billing = service('billing');
/** Its Deployment is managed by Helm. */
const reports = service('reports');
/** Runs in both clusters of `stage`. */
const payroll = service('payroll', 'stage');

const bed = useK2DeployTestBed({
  clusters: ['test', 'stage-a', 'stage-b'],
  backend: {
    entities: [ledger, empty, billing, reports, payroll],
    k2: {
      environments: [
        testEnvironment('test'),
        testEnvironment('stage', {
          clusters: [{ name: 'stage-a' }, { name: 'stage-b' }],
        }),
      ],
    },
  },
});

/** A Deployment as someone makes it by hand: its own labels and selector. */
function handMade(
  name: string,
  labels: Record<string, string> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, ...labels } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image: `${REGISTRY}/${name}:1.13.0`,
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                {
                  name: 'DB_PASSWORD',
                  valueFrom: {
                    secretKeyRef: { name: 'ledger-db', key: 'password' },
                  },
                },
              ],
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { cpu: '500m', memory: '256Mi' },
              },
            },
          ],
        },
      },
    },
  };
}

async function create(cluster: SandboxCluster, path: string, body: object) {
  const res = await api(cluster).post(path, body);
  if (res.status !== 201) {
    throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

const deploymentIn = async (cluster: SandboxCluster, name: string) =>
  (
    await api(cluster).get(
      `/apis/apps/v1/namespaces/finance/deployments/${name}`,
    )
  ).body;

const adopt = (name: string, user: string, environment = 'test') =>
  request(bed.backend.server)
    .post(
      `/api/k2-deploy/services/default/${name}/environments/${environment}/adopt`,
    )
    .set(as(user))
    .send();

const history = async (name: string) =>
  (
    await request(bed.backend.server)
      .get(`/api/k2-deploy/services/default/${name}/releases`)
      .set(as(BOB))
  ).body;

/** The labels by which K2 knows a ledger object as its own. */
const OWNED = {
  'app.kubernetes.io/managed-by': 'k2',
  'k2.io/service': 'ledger',
  'k2.io/environment': 'test',
  'backstage.io/kubernetes-id': 'ledger',
};

describe('adopting a workload K2 did not release', () => {
  beforeAll(async () => {
    const test = bed.cluster('test');
    for (const cluster of bed.clusters) {
      await create(cluster, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'finance' },
      });
    }
    await create(test, '/api/v1/namespaces/finance/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'ledger-db' },
      stringData: { password: SECRET },
    });
    const deployments = '/apis/apps/v1/namespaces/finance/deployments';
    await create(
      test,
      deployments,
      handMade('ledger', { 'backstage.io/kubernetes-id': 'ledger' }),
    );
    await create(test, '/api/v1/namespaces/finance/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ledger', labels: { app: 'ledger' } },
      spec: {
        selector: { app: 'ledger' },
        ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
      },
    });
    await create(
      test,
      deployments,
      handMade('billing', { 'backstage.io/kubernetes-id': 'invoices' }),
    );
    await create(
      test,
      deployments,
      handMade('reports', { 'app.kubernetes.io/managed-by': 'Helm' }),
    );
    for (const name of ['stage-a', 'stage-b']) {
      await create(
        bed.cluster(name),
        deployments,
        handMade('payroll', { 'backstage.io/kubernetes-id': 'payroll' }),
      );
    }
    // Everything runs and the backend's caches hold it.
    for (const [name, environment] of [
      ['ledger', 'test'],
      ['payroll', 'stage'],
    ]) {
      await poll(`${name} running in the cache`, async () => {
        const res = await request(bed.backend.server)
          .get(`/api/k2-deploy/services/default/${name}/runtime`)
          .set(as(BOB));
        const runtime = res.body.environments?.find(
          (e: { name: string }) => e.name === environment,
        );
        const text = JSON.stringify(runtime ?? {});
        return text.includes(`${name}:1.13.0`) && text.includes('"ready":2')
          ? true
          : undefined;
      });
    }
  });

  it('refuses another team, recording and writing nothing', async () => {
    const res = await adopt('ledger', BOB);
    expect(res.status).toBe(403);
    expect(res.body.error.name).toBe('NotAllowedError');
    expect((await history('ledger')).total).toBe(0);
    const deployment = await deploymentIn(bed.cluster('test'), 'ledger');
    expect(deployment.metadata.labels['app.kubernetes.io/managed-by']).toBe(
      undefined,
    );
  });

  it('refuses a workload marked as another service’s or another tool’s, writing nothing', async () => {
    for (const [name, reason] of [
      [
        'billing',
        'it is labelled backstage.io/kubernetes-id: invoices, not billing',
      ],
      ['reports', 'it is labelled app.kubernetes.io/managed-by: Helm, not k2'],
    ]) {
      const before = await deploymentIn(bed.cluster('test'), name);
      const res = await adopt(name, ALICE);
      expect({ status: res.status, body: res.body }).toMatchObject({
        status: 409,
        body: {
          error: {
            message: `K2 does not take over Deployment finance/${name} in cluster 'test': ${reason}`,
          },
        },
      });
      expect((await history(name)).total).toBe(0);
      const after = await deploymentIn(bed.cluster('test'), name);
      expect(after.metadata.resourceVersion).toBe(
        before.metadata.resourceVersion,
      );
    }
  });

  it('records release #1 from the live Deployment and takes it over without rolling a pod', async () => {
    const test = bed.cluster('test');
    const before = await deploymentIn(test, 'ledger');
    const podsBefore = (
      await api(test).get(
        '/api/v1/namespaces/finance/pods?labelSelector=app%3Dledger',
      )
    ).body.items.map((p: any) => p.metadata.name);
    const res = await adopt('ledger', ALICE);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      number: 1,
      kind: 'release',
      status: 'succeeded',
      createdBy: ALICE,
      spec: {
        image: `${REGISTRY}/ledger:1.13.0`,
        replicas: 2,
        clusters: [{ name: 'test', replicas: 2 }],
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
    });
    expect(res.body.message).toBe(
      'Adopted: recorded from the running Deployment finance/ledger; not recorded (read from Secrets or other sources): DB_PASSWORD',
    );
    expect((await history('ledger')).total).toBe(1);

    // Who did it, in the service's activity log.
    const activity = await request(bed.backend.server)
      .get('/api/k2/services/default/ledger/activity?limit=100')
      .set(as(BOB));
    expect(activity.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: ALICE,
          action: 'release-adopt',
          result: 'succeeded',
        }),
      ]),
    );

    // The Deployment and the Service are K2's now, under K2's field manager; the pod
    // template and the selector are as they were, so no pod was replaced.
    const after = await deploymentIn(test, 'ledger');
    expect(after.metadata.labels).toMatchObject({ app: 'ledger', ...OWNED });
    expect(after.metadata.annotations['k2.io/entity-ref']).toBe(
      'component:default/ledger',
    );
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    expect(
      (after.metadata.managedFields ?? []).map((f: any) => f.manager),
    ).toContain('k2');
    const svc = (
      await api(test).get('/api/v1/namespaces/finance/services/ledger')
    ).body;
    expect(svc.metadata.labels).toMatchObject(OWNED);
    const pods = (
      await api(test).get(
        '/api/v1/namespaces/finance/pods?labelSelector=app%3Dledger',
      )
    ).body.items;
    expect(pods.map((p: any) => p.metadata.name).sort()).toEqual(
      podsBefore.sort(),
    );
    for (const pod of pods) {
      expect(pod.metadata.labels).toMatchObject({
        'k2.io/service': 'ledger',
        'k2.io/environment': 'test',
        'k2.io/traffic': 'on',
      });
    }

    // The Secret's value is in no row, neither plain nor base64.
    const rows = JSON.stringify(await bed.knex('k2_releases').select());
    expect(rows).toContain('LOG_LEVEL');
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64')]) {
      expect(rows).not.toContain(form);
      expect(JSON.stringify(res.body)).not.toContain(form);
    }
  });

  it('refuses a second adoption with 409, keeping the one release', async () => {
    const res = await adopt('ledger', ALICE);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      /already has 1 release\(s\) in test \(newest #1\)/,
    );
    expect((await history('ledger')).total).toBe(1);
  });

  it('rolls out the next release over the adopted Deployment, its Service never without a ready pod', async () => {
    const test = bed.cluster('test');
    const endpoints = async () => {
      const res = await api(test).get(
        '/api/v1/namespaces/finance/endpoints/ledger',
      );
      return (res.body.subsets ?? []).flatMap((s: any) => s.addresses ?? [])
        .length as number;
    };
    const ready: number[] = [await endpoints()];
    const created = await request(bed.backend.server)
      .post('/api/k2-deploy/services/default/ledger/releases')
      .set(as(ALICE))
      .send({ environment: 'test', image: `${REGISTRY}/ledger:2.0.0` });
    expect(created.status).toBe(201);
    const release: K2Release = await poll(
      'release #2 finished',
      async () => {
        ready.push(await endpoints());
        const res = await request(bed.backend.server)
          .get(`/api/k2-deploy/releases/${created.body.id}`)
          .set(as(BOB));
        return ['succeeded', 'failed', 'timed-out'].includes(res.body.status)
          ? res.body
          : undefined;
      },
      60_000,
    );
    expect({ status: release.status, reason: release.reason }).toEqual({
      status: 'succeeded',
      reason: undefined,
    });
    expect(release.number).toBe(2);
    expect(Math.min(...ready)).toBeGreaterThan(0);

    // The selector a Deployment is made with cannot change: K2 kept it.
    const deployment = await deploymentIn(test, 'ledger');
    expect(deployment.spec.selector).toEqual({
      matchLabels: { app: 'ledger' },
    });
    const pods = (
      await api(test).get(
        '/api/v1/namespaces/finance/pods?labelSelector=app%3Dledger',
      )
    ).body.items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(pods.map((p: any) => p.spec.containers[0].image)).toEqual([
      `${REGISTRY}/ledger:2.0.0`,
      `${REGISTRY}/ledger:2.0.0`,
    ]);
    const svc = (
      await api(test).get('/api/v1/namespaces/finance/services/ledger')
    ).body;
    // K2's selector, plus the label the Service's maker still owns (server-side apply
    // leaves another manager's fields alone); K2's pods carry both.
    expect(svc.spec.selector).toEqual({
      app: 'ledger',
      'k2.io/service': 'ledger',
      'k2.io/environment': 'test',
      'k2.io/traffic': 'on',
    });
  });

  it('records nothing when a cluster refuses the stamps, and adopting again finishes', async () => {
    const [a, b] = [bed.cluster('stage-a'), bed.cluster('stage-b')];
    b.faults.set({
      errors: {
        code: 403,
        seconds: 60,
        verbs: ['patch'],
        resources: ['deployments'],
      },
    });
    const refused = await adopt('payroll', ALICE, 'stage');
    b.faults.clear();
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(
      /^Adoption did not finish: cluster 'stage-b' refused K2's ownership labels, so nothing was recorded \(what runs in 'stage-a' is K2's already\); adopt again once the cluster accepts them; caused by NotAllowedError: Deployment finance\/payroll in cluster 'stage-b'/,
    );
    expect((await history('payroll')).total).toBe(0);
    expect(
      (await deploymentIn(b, 'payroll')).metadata.labels[
        'app.kubernetes.io/managed-by'
      ],
    ).toBe(undefined);

    const adopted = await poll('payroll adopted', async () => {
      // The backend's cache of stage-a sees the stamps of the first try first.
      const res = await adopt('payroll', ALICE, 'stage');
      return res.status === 201 ? res : undefined;
    });
    expect(adopted.body).toMatchObject({
      number: 1,
      spec: {
        replicas: 4,
        clusters: [
          { name: 'stage-a', replicas: 2 },
          { name: 'stage-b', replicas: 2 },
        ],
      },
    });
    for (const cluster of [a, b]) {
      expect(
        (await deploymentIn(cluster, 'payroll')).metadata.labels,
      ).toMatchObject({
        'app.kubernetes.io/managed-by': 'k2',
        'k2.io/service': 'payroll',
        'k2.io/environment': 'stage',
      });
    }
    expect((await history('payroll')).total).toBe(1);
  });

  it('answers 404 where nothing runs', async () => {
    const res = await adopt('empty', ALICE);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /No Deployment finance\/empty runs in test/,
    );
    expect((await history('empty')).total).toBe(0);
  });
});
