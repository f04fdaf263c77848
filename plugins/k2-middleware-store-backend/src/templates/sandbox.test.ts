import type { KubeObject } from '@internal/plugin-k2-node';
import { SandboxCluster } from '@internal/sandbox-cluster';
import {
  generateSecretData,
  InstanceContext,
  RenderedInstance,
  renderInstance,
  resolveParameters,
  TemplateRegistry,
} from '.';

/*
 * Rendered instances applied to an in-process sandbox cluster through its Kubernetes
 * API (server-side apply, as K2 writes): each becomes ready as the template says
 * (every StatefulSet replica ready, every data volume bound), and the dump Jobs of the
 * templates with backups run to completion on a backup volume.
 */

jest.setTimeout(60000);

const NAMESPACE = 'payments';
const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  StatefulSet: 'statefulsets',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Job: 'jobs',
  PersistentVolumeClaim: 'persistentvolumeclaims',
};

let cluster: SandboxCluster;
let registry: TemplateRegistry;

beforeAll(async () => {
  cluster = new SandboxCluster({
    name: 'test-a',
    tokens: ['tok'],
    timeScale: 0.05,
  });
  await cluster.listen(0);
  registry = await TemplateRegistry.builtIn();
  await kube('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NAMESPACE },
  });
});

afterAll(async () => {
  await cluster.stop();
});

async function kube(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<any> {
  const res = await fetch(`${cluster.url}${path}`, {
    method,
    headers: {
      Authorization: 'Bearer tok',
      ...(body ? { 'Content-Type': contentType } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) {
    throw new Error(`${method} ${path}: ${res.status} ${json.message}`);
  }
  return json;
}

function collection(object: KubeObject): string {
  const [group, version] = object.apiVersion!.includes('/')
    ? object.apiVersion!.split('/')
    : ['', object.apiVersion!];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}/namespaces/${object.metadata.namespace}/${
    PLURALS[object.kind!]
  }`;
}

/** Server-side apply with K2's field manager, as K2 writes its objects. */
function apply(object: KubeObject) {
  return kube(
    'PATCH',
    `${collection(object)}/${object.metadata.name}?fieldManager=k2&force=true`,
    object,
    'application/apply-patch+yaml',
  );
}

function get(object: KubeObject, name = object.metadata.name) {
  return kube('GET', `${collection(object)}/${name}`);
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + 45000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** Creates the Secret with fresh data once, then applies the objects in order. */
async function create(
  template: string,
  name: string,
  input: Record<string, unknown> = {},
): Promise<RenderedInstance> {
  const t = registry.get(template)!;
  const ctx: InstanceContext = {
    id: '0d9f7c36-5a3e-4c47-9a43-2f1e8b6c7d10',
    name,
    namespace: NAMESPACE,
    environment: 'test',
    service: 'component:default/payment-gateway',
    owner: 'group:default/payments-team',
  };
  const rendered = renderInstance(t, ctx, resolveParameters(t, input));
  await kube('POST', collection(rendered.secret), {
    ...rendered.secret,
    stringData: generateSecretData(t),
  });
  for (const object of rendered.objects) await apply(object);
  return rendered;
}

/** The template's readiness: every replica of every StatefulSet ready. */
async function ready(rendered: RenderedInstance) {
  for (const workload of rendered.workloads) {
    const sts = rendered.objects.find(
      o => o.kind === workload.kind && o.metadata.name === workload.name,
    )!;
    await until(
      `${workload.name} to have ${workload.replicas} ready`,
      async () => {
        const live = await get(sts);
        return live.status?.readyReplicas === workload.replicas;
      },
    );
  }
  const pvcs = await kube(
    'GET',
    `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`,
  );
  const phases = Object.fromEntries(
    pvcs.items.map((p: KubeObject) => [p.metadata.name, p.status?.phase]),
  );
  for (const volume of rendered.dataVolumes) {
    expect([volume, phases[volume]]).toEqual([volume, 'Bound']);
  }
}

/** Pods of the instance, by the label K2 puts on them. */
async function podsOf(name: string): Promise<KubeObject[]> {
  const list = await kube(
    'GET',
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(
      `k2.io/middleware=${name}`,
    )}`,
  );
  return list.items;
}

/** Runs the dump Job onto a fresh backup volume, as deletion does, until it completes. */
async function dump(rendered: RenderedInstance, name: string) {
  await kube('POST', `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims`, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${name}-backup` },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
    },
  });
  const job = rendered.dumpJob!({
    jobName: `${name}-dump`,
    claimName: `${name}-backup`,
  });
  await apply(job);
  const done = await until(`${name}-dump to finish`, async () => {
    const live = await get(job);
    const conditions: any[] = live.status?.conditions ?? [];
    return conditions.find(
      c =>
        (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
  });
  expect(done.type).toBe('Complete');
}

describe('rendered instances on a sandbox cluster', () => {
  it('a standalone Redis becomes ready with its volume bound, and its dump Job completes', async () => {
    const rendered = await create('redis-7', 'orders-cache');
    await ready(rendered);
    const pods = await podsOf('orders-cache');
    expect(pods.map(p => p.metadata.name)).toEqual(['orders-cache-0']);
    expect(pods[0].metadata.labels).not.toHaveProperty('k2.io/service');
    await dump(rendered, 'orders-cache');
  });

  it('a Redis with Sentinel becomes ready with three pods, a volume each and a disruption budget', async () => {
    const rendered = await create('redis-7', 'session-cache', {
      mode: 'sentinel',
      replicas: 3,
      storageClass: 'nfs',
    });
    expect(rendered.workloads).toEqual([
      { kind: 'StatefulSet', name: 'session-cache', replicas: 3 },
    ]);
    await ready(rendered);
    expect(rendered.dataVolumes).toEqual([
      'data-session-cache-0',
      'data-session-cache-1',
      'data-session-cache-2',
    ]);
    const pdb = rendered.objects.find(o => o.kind === 'PodDisruptionBudget')!;
    expect((await get(pdb)).spec.maxUnavailable).toBe(1);
    const endpoints = await kube(
      'GET',
      `/api/v1/namespaces/${NAMESPACE}/endpoints/session-cache`,
    );
    expect(endpoints.subsets[0].addresses).toHaveLength(3);
    expect(endpoints.subsets[0].ports).toEqual([
      expect.objectContaining({ name: 'sentinel', port: 26379 }),
    ]);
  });

  it('a MySQL becomes ready, and its dump Job completes', async () => {
    const rendered = await create('mysql-8', 'orders-db', {
      database: 'orders',
    });
    await ready(rendered);
    expect(await podsOf('orders-db')).toHaveLength(1);
    await dump(rendered, 'orders-db');
  });

  it('a three-broker Kafka becomes ready', async () => {
    const rendered = await create('kafka-3', 'events', { replicas: 3 });
    await ready(rendered);
    expect(await podsOf('events')).toHaveLength(3);
  });

  it.each([
    ['zookeeper-3', 'coordination', 3],
    ['pika-3', 'ledger-store', 1],
    ['rabbitmq-3', 'jobs-queue', 3],
  ])('a %s instance becomes ready', async (template, name, replicas) => {
    await ready(await create(template, name, { replicas }));
    expect(await podsOf(name)).toHaveLength(replicas);
  });
});
