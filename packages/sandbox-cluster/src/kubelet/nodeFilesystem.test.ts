import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  api,
  createNamespace,
  destroyNamespace,
  poll,
} from '../__testUtils__/http';
import { Kubectl, kubectlAvailable } from '../__testUtils__/kubectl';

/*
 * A node's root and image filesystems in the kubelet Summary API, through the API
 * server's node proxy, and their steering through the sandbox's admin API.
 */

jest.setTimeout(30000);

const GI = 2 ** 30;
const NODE = 'c-worker-1';
const SUMMARY = `/api/v1/nodes/${NODE}/proxy/stats/summary`;

let cluster: SandboxCluster;
let client: ApiClient;

beforeAll(async () => {
  cluster = new SandboxCluster({ name: 'c', tokens: ['tok'], timeScale: 0.1 });
  await cluster.listen(0);
  client = api(cluster);
});

afterAll(async () => {
  await cluster.close();
});

afterEach(async () => {
  await client.delete(`/sandbox/disk?node=${NODE}`);
});

async function nodeFs() {
  const summary = await client.get(SUMMARY);
  expect(summary.status).toBe(200);
  return summary.body.node;
}

it('reports the root filesystem of a node’s stated ephemeral storage, and its images on it', async () => {
  const node = await nodeFs();
  expect(node.nodeName).toBe(NODE);
  expect(node.fs.capacityBytes).toBe(200 * GI);
  expect(node.fs.usedBytes + node.fs.availableBytes).toBe(200 * GI);
  expect(node.fs.usedBytes / node.fs.capacityBytes).toBeGreaterThanOrEqual(
    0.08,
  );
  expect(node.fs.usedBytes / node.fs.capacityBytes).toBeLessThan(0.21);
  expect(node.fs.inodesUsed + node.fs.inodesFree).toBe(node.fs.inodes);
  expect(Date.parse(node.fs.time)).not.toBeNaN();
  // Images share the root filesystem: same capacity and free space.
  expect(node.runtime.imageFs).toMatchObject({
    capacityBytes: node.fs.capacityBytes,
    availableBytes: node.fs.availableBytes,
  });
});

it('counts the running pods on the node and their images', async () => {
  const ns = await createNamespace(client, 'disk');
  try {
    const before = await nodeFs();
    const created = await client.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name: 'app' },
      spec: {
        nodeName: NODE,
        containers: [{ name: 'app', image: 'registry.local/shop/app:1' }],
      },
    });
    expect(created.status).toBe(201);
    await poll('the pod running', async () => {
      const pod = await client.get(`/api/v1/namespaces/${ns}/pods/app`);
      return pod.body.status?.phase === 'Running' || undefined;
    });
    const after = await nodeFs();
    const image =
      after.runtime.imageFs.usedBytes - before.runtime.imageFs.usedBytes;
    expect(image).toBeGreaterThanOrEqual(100 * 2 ** 20);
    expect(image).toBeLessThanOrEqual(400 * 2 ** 20);
    // The pod's own 64 MiB beside its image.
    expect(after.fs.usedBytes - before.fs.usedBytes).toBe(image + 64 * 2 ** 20);
  } finally {
    await destroyNamespace(client, ns);
  }
});

it('reports the used space a test sets, by share or by bytes, until it is cleared', async () => {
  const untouched = (await nodeFs()).fs.usedBytes;
  const share = await client.put('/sandbox/disk', {
    node: NODE,
    usedPercent: 90,
  });
  expect(share.status).toBe(200);
  expect(share.body.steers).toEqual([{ node: NODE, usedPercent: 90 }]);
  expect((await nodeFs()).fs).toMatchObject({
    usedBytes: 180 * GI,
    availableBytes: 20 * GI,
  });
  // Other nodes keep their own figures.
  const other = await client.get(
    '/api/v1/nodes/c-worker-2/proxy/stats/summary',
  );
  expect(other.body.node.fs.usedBytes).toBeLessThan(0.21 * 200 * GI);

  expect(
    (await client.put('/sandbox/disk', { node: NODE, used: '150Gi' })).status,
  ).toBe(200);
  expect((await nodeFs()).fs.usedBytes).toBe(150 * GI);

  const cleared = await client.delete(`/sandbox/disk?node=${NODE}`);
  expect(cleared.body.steers).toEqual([]);
  expect((await nodeFs()).fs.usedBytes).toBe(untouched);
});

it.each([
  [{ node: 'nowhere', usedPercent: 90 }, /node must name a node/],
  [{ node: NODE }, /give one of used/],
  [{ node: NODE, used: '1Gi', usedPercent: 5 }, /give one of used/],
  [{ node: NODE, usedPercent: 101 }, /usedPercent must be/],
  [{ node: NODE, used: 'lots' }, /used must be a Kubernetes quantity/],
])('refuses the steer %j', async (body, message) => {
  const refused = await client.put('/sandbox/disk', body);
  expect(refused.status).toBe(400);
  expect(refused.body.message).toMatch(message);
});

it('answers 404 for the summary of a node that does not exist', async () => {
  const res = await client.get('/api/v1/nodes/nowhere/proxy/stats/summary');
  expect(res.status).toBe(404);
  expect(res.body.kind).toBe('Status');
});

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('kubectl', () => {
  it('reads a node’s summary with get --raw', async () => {
    await client.put('/sandbox/disk', { node: NODE, usedPercent: 95 });
    const kubectl = new Kubectl([cluster]);
    try {
      const raw = await kubectl.run('c', 'get', '--raw', SUMMARY);
      expect(raw.code).toBe(0);
      const node = JSON.parse(raw.stdout).node;
      expect(node.fs).toMatchObject({
        capacityBytes: 200 * GI,
        usedBytes: 190 * GI,
      });
      expect(node.runtime.imageFs.capacityBytes).toBe(200 * GI);
    } finally {
      kubectl.dispose();
    }
  });
});
