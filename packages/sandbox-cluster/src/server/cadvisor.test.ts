import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  api,
  createNamespace,
  destroyNamespace,
  poll,
} from '../__testUtils__/http';

/*
 * Each node's cAdvisor metrics through the API server's node proxy, the path a real
 * cluster serves them at: `GET /api/v1/nodes/{node}/proxy/metrics/cadvisor`.
 */

jest.setTimeout(30000);

let cluster: SandboxCluster;
let client: ApiClient;
let ns: string;

const MI = 2 ** 20;
const CADVISOR_FAMILIES = [
  'container_cpu_usage_seconds_total',
  'container_memory_usage_bytes',
  'container_memory_cache',
  'container_memory_working_set_bytes',
  'container_memory_rss',
  'container_spec_memory_limit_bytes',
  'container_spec_cpu_quota',
  'container_spec_cpu_period',
];

const cadvisorPath = (node: string) =>
  `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Sample lines of a text exposition (comments checked separately). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

beforeAll(async () => {
  cluster = new SandboxCluster({ name: 'c', tokens: ['tok'], timeScale: 0.05 });
  await cluster.listen(0);
  client = api(cluster);
  ns = await createNamespace(client, 'cadvisor');
  const res = await client.post(`/apis/apps/v1/namespaces/${ns}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'shop/web:1.2',
              resources: {
                requests: { cpu: '250m', memory: '256Mi' },
                limits: { cpu: '1', memory: '512Mi' },
              },
            },
            {
              name: 'envoy',
              image: 'envoyproxy/envoy:v1.29.0',
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
  await poll('four running pods', async () => {
    const list = await client.get(`/api/v1/namespaces/${ns}/pods`);
    const items: any[] = list.body.items;
    return (
      items.length === 4 &&
      items.every(p =>
        (p.status?.containerStatuses ?? []).every((s: any) => s.state?.running),
      ) &&
      items.every(p => p.status?.containerStatuses?.length === 2)
    );
  });
});

afterAll(async () => {
  await destroyNamespace(client, ns);
  await cluster.stop();
});

async function runningPods(): Promise<any[]> {
  return (await client.get(`/api/v1/namespaces/${ns}/pods`)).body.items;
}

describe('GET /api/v1/nodes/{node}/proxy/metrics/cadvisor', () => {
  it('serves the container_* series of exactly the pods on that node, labelled as a kubelet labels them', async () => {
    const pods = await runningPods();
    const nodes: any[] = (await client.get('/api/v1/nodes')).body.items;
    expect(nodes.length).toBe(3);
    // The pods are spread, so the node filter has something to filter.
    expect(new Set(pods.map(p => p.spec.nodeName)).size).toBeGreaterThan(1);
    const seen = new Set<string>();
    const withPods: string[] = [];
    for (const node of nodes) {
      const name = node.metadata.name;
      const res = await client.get(cadvisorPath(name));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        'text/plain; version=0.0.4; charset=utf-8',
      );
      const lines = res.text.split('\n').filter(Boolean);
      for (const line of lines) {
        expect(line).toMatch(/^(# (HELP|TYPE) )?container_/);
      }
      const parsed = samples(res.text);
      const onNode = pods.filter(p => p.spec.nodeName === name);
      expect(new Set(parsed.map(s => s.labels.pod))).toEqual(
        new Set(onNode.map(p => p.metadata.name)),
      );
      for (const pod of onNode) {
        seen.add(pod.metadata.name);
        const uid = pod.metadata.uid;
        const cgroup = `/kubepods/burstable/pod${uid}`;
        for (const spec of pod.spec.containers) {
          const status = pod.status.containerStatuses.find(
            (s: any) => s.name === spec.name,
          );
          const labels = {
            namespace: ns,
            pod: pod.metadata.name,
            container: spec.name,
            image: spec.image,
            name: `k8s_${spec.name}_${pod.metadata.name}_${ns}_${uid}_${status.restartCount}`,
            id: `${cgroup}/${status.containerID.replace('containerd://', '')}`,
          };
          for (const family of [
            'container_cpu_usage_seconds_total',
            'container_memory_usage_bytes',
            'container_memory_cache',
            'container_memory_working_set_bytes',
            'container_memory_rss',
          ]) {
            const matching = parsed.filter(
              s =>
                s.name === family &&
                s.labels.pod === pod.metadata.name &&
                s.labels.container === spec.name,
            );
            expect(matching).toHaveLength(1);
            // Exactly the kubelet's label set: no node, no cluster label.
            expect(matching[0].labels).toEqual(labels);
            expect(matching[0].value).toBeGreaterThan(0);
          }
        }
        const limit = parsed.find(
          s =>
            s.name === 'container_spec_memory_limit_bytes' &&
            s.labels.pod === pod.metadata.name &&
            s.labels.container === 'app',
        );
        expect(limit?.value).toBe(512 * MI);
        // The pod cgroup itself, as cAdvisor reports it.
        expect(
          parsed.find(
            s =>
              s.name === 'container_memory_working_set_bytes' &&
              s.labels.pod === pod.metadata.name &&
              s.labels.container === '',
          )?.labels,
        ).toEqual({
          namespace: ns,
          pod: pod.metadata.name,
          container: '',
          image: '',
          name: '',
          id: cgroup,
        });
      }
      if (onNode.length > 0) withPods.push(res.text);
    }
    // Every pod is on exactly one node's scrape.
    expect(seen).toEqual(new Set(pods.map(p => p.metadata.name)));
    // Each family once, with HELP and TYPE.
    expect(withPods.length).toBeGreaterThan(1);
    for (const text of withPods) {
      for (const family of CADVISOR_FAMILIES) {
        expect(text.split(`# HELP ${family} `)).toHaveLength(2);
        expect(text.split(`# TYPE ${family} `)).toHaveLength(2);
      }
      expect(text).toContain(
        '# TYPE container_cpu_usage_seconds_total counter',
      );
      expect(text).toContain('# TYPE container_memory_usage_bytes gauge');
    }
  });

  it('carries the same series as the cluster-wide /metrics, minus the node label', async () => {
    const [pod] = await runningPods();
    const node = pod.spec.nodeName;
    const perNode = samples((await client.get(cadvisorPath(node))).text);
    const all = samples((await client.get('/metrics')).text).filter(
      s => s.name.startsWith('container_') && s.labels.node === node,
    );
    const key = (s: Sample) =>
      `${s.name}${JSON.stringify(
        Object.entries(s.labels)
          .filter(([k]) => k !== 'node')
          .sort(),
      )}`;
    expect(perNode.map(key).sort()).toEqual(all.map(key).sort());
  });

  it('answers 404 with a NotFound Status for an unknown node', async () => {
    const res = await client.get(cadvisorPath('no-such-node'));
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'nodes "no-such-node" not found',
      details: { name: 'no-such-node', kind: 'nodes' },
    });
  });

  it('requires the bearer token', async () => {
    const node = (await runningPods())[0].spec.nodeName;
    const res = await client.get(cadvisorPath(node), { token: null });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    expect(res.text).not.toContain('container_');
  });

  it('counts each scrape in the request counters', async () => {
    const node = (await runningPods())[0].spec.nodeName;
    await client.post('/sandbox/stats/reset', {});
    await client.get(cadvisorPath(node));
    await client.get(cadvisorPath(node));
    await client.get(cadvisorPath('no-such-node'));
    const stats = await client.get('/sandbox/stats');
    expect(stats.body.requests).toContainEqual({
      verb: 'get',
      resource: 'nodes/proxy',
      count: 3,
    });
  });

  it('answers with injected faults for nodes, like other API requests', async () => {
    const node = (await runningPods())[0].spec.nodeName;
    try {
      const set = await client.post('/sandbox/faults', {
        errors: { code: 503, seconds: 30, resources: ['nodes'] },
      });
      expect(set.status).toBe(200);
      const res = await client.get(cadvisorPath(node));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ kind: 'Status', code: 503 });
    } finally {
      await client.delete('/sandbox/faults');
    }
    expect((await client.get(cadvisorPath(node))).status).toBe(200);
  });
});
