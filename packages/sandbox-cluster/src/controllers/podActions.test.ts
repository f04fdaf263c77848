import YAML from 'yaml';
import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  api,
  createNamespace,
  destroyNamespace,
  poll,
} from '../__testUtils__/http';

/*
 * What K2 does to one pod of a Deployment, over HTTP as K2 does it, and what a real
 * cluster answers: taking it out of traffic by a server-side-applied label, and deleting
 * it gracefully or at once.
 */

jest.setTimeout(30000);

let cluster: SandboxCluster;
let client: ApiClient;
const namespaces: string[] = [];

beforeAll(async () => {
  cluster = new SandboxCluster({
    name: 'p',
    tokens: ['tok'],
    timeScale: 0.05,
    // A graceful termination takes 1 s here (20 s × 0.05), long enough to watch it.
    podTerminationMs: 20000,
  });
  await cluster.listen(0);
  client = api(cluster);
});

afterAll(async () => {
  await cluster.stop();
});

afterEach(async () => {
  for (const ns of namespaces.splice(0)) await destroyNamespace(client, ns);
});

const TRAFFIC = 'k2.io/traffic';
/** How long the endpoints controller may take: it reacts on the next turn. */
const ENDPOINTS_DELAY_MS = 1000;

const pods = (ns: string, name?: string) =>
  `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;
const endpointsOf = (ns: string) => `/api/v1/namespaces/${ns}/endpoints/web`;

const isReady = (p: any) =>
  (p.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  );

async function listPods(ns: string): Promise<any[]> {
  return (await client.get(pods(ns))).body.items;
}

async function endpointIps(ns: string) {
  const subset = (await client.get(endpointsOf(ns))).body.subsets?.[0] ?? {};
  const ips = (list?: any[]) => (list ?? []).map(a => a.ip).sort();
  return {
    ready: ips(subset.addresses),
    notReady: ips(subset.notReadyAddresses),
  };
}

/**
 * A namespace with Deployment `web` (its selector: `app: web` only; pods carry
 * `k2.io/traffic: on`) and Service `web` selecting `app: web, k2.io/traffic: on`;
 * resolves once all replicas are ready and in the Endpoints.
 */
async function deployWeb(replicas: number) {
  const ns = await createNamespace(client, 'actions');
  namespaces.push(ns);
  const deployment = await client.post(
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', [TRAFFIC]: 'on' } },
          spec: {
            terminationGracePeriodSeconds: 45,
            containers: [
              {
                name: 'app',
                image: 'shop/web:1.2',
                ports: [{ containerPort: 8080 }],
                lifecycle: {
                  preStop: { exec: { command: ['sleep', '10'] } },
                },
              },
            ],
          },
        },
      },
    },
  );
  expect(deployment.status).toBe(201);
  const service = await client.post(`/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web', [TRAFFIC]: 'on' },
      ports: [{ port: 80, targetPort: 8080 }],
    },
  });
  expect(service.status).toBe(201);
  const ready = await poll(`${replicas} ready pods of web`, async () => {
    const items = await listPods(ns);
    return items.length === replicas && items.every(isReady)
      ? items
      : undefined;
  });
  const ips = ready.map(p => p.status.podIP).sort();
  await poll('the Endpoints to list every pod', async () => {
    const got = await endpointIps(ns);
    return JSON.stringify(got.ready) === JSON.stringify(ips);
  });
  return { ns, pods: ready };
}

/** The server-side apply K2 sends: only the traffic label and an annotation. */
function applyTraffic(ns: string, name: string, value: 'on' | 'off') {
  const body = YAML.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { [TRAFFIC]: value },
      annotations: { 'k2.io/traffic-changed-by': `user:default/bob ${value}` },
    },
  });
  return client.apply(`${pods(ns, name)}?fieldManager=k2&force=true`, body);
}

describe('taking a pod out of traffic with server-side apply', () => {
  it('changes only the label and annotation, keeps the pod in its ReplicaSet, and moves it out of and back into the Endpoints', async () => {
    const { ns, pods: before } = await deployWeb(2);
    const [target, other] = before;
    const name = target.metadata.name;
    const rsBefore = (
      await client.get(`/apis/apps/v1/namespaces/${ns}/replicasets`)
    ).body.items;
    expect(rsBefore).toHaveLength(1);

    const res = await applyTraffic(ns, name, 'off');
    expect(res.status).toBe(200);
    const applied = res.body;
    expect(applied.metadata.labels).toEqual({
      ...target.metadata.labels,
      [TRAFFIC]: 'off',
    });
    expect(applied.metadata.annotations).toEqual({
      ...target.metadata.annotations,
      'k2.io/traffic-changed-by': 'user:default/bob off',
    });
    // Nothing else about the pod changes.
    expect(applied.metadata.uid).toBe(target.metadata.uid);
    expect(applied.metadata.ownerReferences).toEqual(
      target.metadata.ownerReferences,
    );
    expect(applied.metadata.ownerReferences[0]).toMatchObject({
      kind: 'ReplicaSet',
      name: rsBefore[0].metadata.name,
      controller: true,
    });
    expect(applied.spec).toEqual(target.spec);
    expect(applied.metadata.deletionTimestamp).toBeUndefined();
    const k2Fields = applied.metadata.managedFields.find(
      (m: any) => m.manager === 'k2',
    );
    expect(k2Fields).toMatchObject({ operation: 'Apply', apiVersion: 'v1' });
    expect(k2Fields.fieldsV1['f:metadata']['f:labels']).toEqual({
      [`f:${TRAFFIC}`]: {},
    });

    // Out of the Endpoints promptly, and not listed as not-ready either.
    await poll(
      'the pod to leave the Endpoints',
      async () => {
        const ips = await endpointIps(ns);
        return (
          JSON.stringify(ips.ready) === JSON.stringify([other.status.podIP]) &&
          !ips.notReady.includes(target.status.podIP)
        );
      },
      ENDPOINTS_DELAY_MS,
    );

    // The ReplicaSet still counts it and makes no replacement; it keeps running. Both
    // controllers queue the flip on the same turn, the ReplicaSet's first, so the
    // Endpoints change above means the ReplicaSet has already reconciled it.
    const after = await listPods(ns);
    expect(after.map(p => p.metadata.name).sort()).toEqual(
      before.map(p => p.metadata.name).sort(),
    );
    const live = after.find(p => p.metadata.name === name);
    expect(live.metadata.uid).toBe(target.metadata.uid);
    expect(live.status.phase).toBe('Running');
    expect(isReady(live)).toBe(true);
    expect(live.status.containerStatuses[0]).toMatchObject({
      restartCount: 0,
      containerID: target.status.containerStatuses[0].containerID,
      state: { running: target.status.containerStatuses[0].state.running },
    });
    const rs = (
      await client.get(
        `/apis/apps/v1/namespaces/${ns}/replicasets/${rsBefore[0].metadata.name}`,
      )
    ).body;
    expect(rs.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    const creates = (
      await client.get(`/api/v1/namespaces/${ns}/events`)
    ).body.items.filter((e: any) => e.reason === 'SuccessfulCreate');
    expect(creates).toHaveLength(2);

    // Back into traffic.
    const back = await applyTraffic(ns, name, 'on');
    expect(back.status).toBe(200);
    expect(back.body.metadata.labels[TRAFFIC]).toBe('on');
    expect(back.body.metadata.annotations['k2.io/traffic-changed-by']).toBe(
      'user:default/bob on',
    );
    await poll(
      'the pod to rejoin the Endpoints',
      async () =>
        JSON.stringify((await endpointIps(ns)).ready) ===
        JSON.stringify(before.map(p => p.status.podIP).sort()),
      ENDPOINTS_DELAY_MS,
    );
    expect((await listPods(ns)).map(p => p.metadata.uid).sort()).toEqual(
      before.map(p => p.metadata.uid).sort(),
    );
  });
});

describe('deleting a pod of a ReplicaSet', () => {
  /** Resolves with the pod that replaced `gone` (a new name, same owner). */
  async function replacementOf(ns: string, originals: any[]) {
    const names = new Set(originals.map(p => p.metadata.name));
    return poll('the ReplicaSet to create a replacement', async () => {
      const created = (await listPods(ns)).filter(
        p => !names.has(p.metadata.name),
      );
      return created.length === 1 ? created[0] : undefined;
    });
  }

  it.each([
    [
      'a DeleteOptions body with gracePeriodSeconds 0',
      (ns: string, name: string) =>
        client.delete(pods(ns, name), {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          gracePeriodSeconds: 0,
        }),
    ],
    [
      'the gracePeriodSeconds=0 query parameter',
      (ns: string, name: string) =>
        client.delete(`${pods(ns, name)}?gracePeriodSeconds=0`),
    ],
  ])('removes the pod at once with %s', async (_how, remove) => {
    const { ns, pods: before } = await deployWeb(2);
    const [target] = before;
    const res = await remove(ns, target.metadata.name);
    expect(res.status).toBe(200);
    expect(res.body.metadata.name).toBe(target.metadata.name);
    const got = await client.get(pods(ns, target.metadata.name));
    expect(got.status).toBe(404);
    expect(got.body).toMatchObject({ kind: 'Status', reason: 'NotFound' });

    const replacement = await replacementOf(ns, before);
    expect(replacement.metadata.ownerReferences).toEqual(
      target.metadata.ownerReferences,
    );
    await poll('the replacement to be ready', async () =>
      isReady((await client.get(pods(ns, replacement.metadata.name))).body),
    );
  });

  it('terminates gracefully without gracePeriodSeconds: deletionTimestamp, out of the Endpoints at once, gone later, replaced', async () => {
    const { ns, pods: before } = await deployWeb(2);
    const [target, other] = before;
    const name = target.metadata.name;
    const deletedAt = Date.now();
    const res = await client.delete(pods(ns, name));
    expect(res.status).toBe(200);
    // The pod's own terminationGracePeriodSeconds (45), not the default 30.
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(45);
    const due = Date.parse(res.body.metadata.deletionTimestamp);
    expect(due).toBeGreaterThan(deletedAt + 40000);
    expect(due).toBeLessThan(Date.now() + 46000);

    // Still there, terminating.
    const terminating = await client.get(pods(ns, name));
    expect(terminating.status).toBe(200);
    expect(terminating.body.metadata.deletionTimestamp).toBe(
      res.body.metadata.deletionTimestamp,
    );
    await poll(
      'the terminating pod to leave the Endpoints',
      async () => {
        const ips = await endpointIps(ns);
        return (
          JSON.stringify(ips.ready) === JSON.stringify([other.status.podIP]) &&
          !ips.notReady.includes(target.status.podIP)
        );
      },
      ENDPOINTS_DELAY_MS,
    );
    const killing = (
      await client.get(`/api/v1/namespaces/${ns}/events`)
    ).body.items.find(
      (e: any) => e.reason === 'Killing' && e.involvedObject.name === name,
    );
    expect(killing?.message).toBe('Stopping container app');

    // The ReplicaSet replaces it while it is still terminating.
    const replacement = await replacementOf(ns, before);
    expect(replacement.metadata.ownerReferences).toEqual(
      target.metadata.ownerReferences,
    );
    expect((await client.get(pods(ns, name))).status).toBe(200);

    await poll(
      'the terminated pod to go',
      async () => (await client.get(pods(ns, name))).status === 404,
    );
    // Not at once: the sandbox's termination takes 1 s here.
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(900);
    await poll('the replacement to be ready and in the Endpoints', async () => {
      const live = (await client.get(pods(ns, replacement.metadata.name))).body;
      const ips = await endpointIps(ns);
      return isReady(live) && ips.ready.includes(live.status.podIP);
    });
  });

  it('shortens a terminating pod’s grace period, and removes it at once with 0', async () => {
    const { ns, pods: before } = await deployWeb(1);
    const name = before[0].metadata.name;
    const first = await client.delete(pods(ns, name));
    expect(first.body.metadata.deletionGracePeriodSeconds).toBe(45);
    const start = Date.parse(first.body.metadata.deletionTimestamp) - 45000;

    // A longer grace period changes nothing, a shorter one moves the deadline up.
    const longer = await client.delete(
      `${pods(ns, name)}?gracePeriodSeconds=60`,
    );
    expect(longer.status).toBe(200);
    expect(longer.body.metadata.deletionGracePeriodSeconds).toBe(45);
    const shorter = await client.delete(pods(ns, name), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 10,
    });
    expect(shorter.status).toBe(200);
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(Date.parse(shorter.body.metadata.deletionTimestamp)).toBe(
      start + 10000,
    );

    const force = await client.delete(`${pods(ns, name)}?gracePeriodSeconds=0`);
    expect(force.status).toBe(200);
    expect((await client.get(pods(ns, name))).status).toBe(404);
    await replacementOf(ns, before);
  });

  it('ends the termination sooner when the grace period is shortened below it', async () => {
    // Here a termination takes up to 10 s (200 s × 0.05); a 1 s grace period wins.
    const slow = new SandboxCluster({
      name: 's',
      tokens: ['tok'],
      timeScale: 0.05,
      podTerminationMs: 200000,
    });
    try {
      await slow.listen(0);
      const slowClient = api(slow);
      await slowClient.post('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'lone' },
        spec: { containers: [{ name: 'app', image: 'shop/web:1.2' }] },
      });
      await poll('the pod to be ready', async () =>
        isReady(
          (
            await slowClient.get('/api/v1/namespaces/default/pods/lone')
          ).body,
        ),
      );
      const deletedAt = Date.now();
      await slowClient.delete('/api/v1/namespaces/default/pods/lone');
      // Terminating, and still there for its grace period.
      const terminating = await poll('the pod to be terminating', async () => {
        const res = await slowClient.get(
          '/api/v1/namespaces/default/pods/lone',
        );
        return res.status === 200 && res.body.metadata.deletionTimestamp
          ? res
          : undefined;
      });
      expect(terminating.body.metadata.deletionGracePeriodSeconds).toBe(30);
      await slowClient.delete(
        '/api/v1/namespaces/default/pods/lone?gracePeriodSeconds=1',
      );
      await poll(
        'the pod to go after its shortened grace period',
        async () =>
          (
            await slowClient.get('/api/v1/namespaces/default/pods/lone')
          ).status === 404,
        5000,
      );
      expect(Date.now() - deletedAt).toBeLessThan(5000);
    } finally {
      await slow.stop();
    }
  });
});
