import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  V1ConfigMap,
  makeInformer,
} from '@kubernetes/client-node';
import { SandboxCluster } from './cluster';
import { Sandbox } from './sandbox';
import { poll as until } from './__testUtils__/http';

const run = promisify(execFile);

jest.setTimeout(60000);

/** kubectl from the system (Debian's kubernetes-client in CI). */
function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kubectl');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const kubectlPath = findKubectl();
// `./k2 test` sets K2_REQUIRE_KUBECTL=1 once it has kubectl: then a missing binary
// fails instead of skipping the API fidelity tests.
if (!kubectlPath && process.env.K2_REQUIRE_KUBECTL === '1') {
  throw new Error(
    'kubectl is missing and K2_REQUIRE_KUBECTL=1 says it must be tested (install the kubernetes-client package)',
  );
}
const describeKubectl = kubectlPath ? describe : describe.skip;

describeKubectl('kubectl against the sandbox', () => {
  let sandbox: Sandbox;
  let cluster: SandboxCluster;
  let dir: string;

  const kubectl = async (...args: string[]) => {
    const { stdout } = await run(
      kubectlPath!,
      [
        '--kubeconfig',
        path.join(dir, 'kubeconfig'),
        '--cache-dir',
        path.join(dir, 'cache'),
        ...args,
      ],
      { timeout: 60000 },
    );
    return stdout;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-kubectl-'));
    sandbox = await Sandbox.start(
      [{ name: 'test', port: 0, token: 'kubectl-token' }],
      { timeScale: 0.05 },
    );
    cluster = sandbox.clusters.get('test')!;
    sandbox.writeKubeconfig(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    await sandbox.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gets nodes and namespaces as tables', async () => {
    const nodes = await kubectl('get', 'nodes');
    expect(nodes).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(nodes).toContain('test-worker-1   Ready');
    expect(await kubectl('get', 'ns', '-o', 'name')).toContain(
      'namespace/default',
    );
  });

  it('applies manifests, scales, follows a rollout, reads logs and deletes with garbage collection', async () => {
    const manifest = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: ${image}
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: shop
  namespace: default
spec:
  selector: {app: shop}
  ports: [{port: 80, targetPort: 8080}]
`;
    const file = path.join(dir, 'shop.yaml');
    fs.writeFileSync(file, manifest('shop/web:1.0'));
    expect(await kubectl('apply', '-f', file)).toMatch(
      /deployment.apps\/shop created[\s\S]*service\/shop created/,
    );
    expect(
      await kubectl('rollout', 'status', 'deployment/shop', '--timeout=60s'),
    ).toContain('deployment "shop" successfully rolled out');

    // A second apply (three-way strategic merge patch) rolls out the new image.
    fs.writeFileSync(file, manifest('shop/web:1.1'));
    expect(await kubectl('apply', '-f', file)).toContain(
      'deployment.apps/shop configured',
    );
    expect(
      await kubectl('rollout', 'status', 'deployment/shop', '--timeout=60s'),
    ).toContain('successfully rolled out');
    // Replaced pods may still be terminating when the rollout reports success, as on
    // a real cluster; once they are gone only the new image runs.
    await until('the replaced pods to terminate', () =>
      cluster.store
        .list(cluster.type('', 'pods'), 'default')
        .every(p => !p.metadata.deletionTimestamp),
    );
    const images = await kubectl(
      'get',
      'pods',
      '-l',
      'app=shop',
      '-o',
      'jsonpath={.items[*].spec.containers[0].image}',
    );
    expect(images.split(' ').sort()).toEqual(['shop/web:1.1', 'shop/web:1.1']);

    expect(await kubectl('scale', 'deployment/shop', '--replicas=3')).toContain(
      'deployment.apps/shop scaled',
    );
    await kubectl('rollout', 'status', 'deployment/shop', '--timeout=60s');
    expect(
      await kubectl(
        'get',
        'deployment',
        'shop',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ),
    ).toBe('3');
    const endpoints = await kubectl(
      'get',
      'endpoints',
      'shop',
      '-o',
      'jsonpath={.subsets[0].addresses[*].ip}',
    );
    expect(endpoints.split(' ')).toHaveLength(3);

    const pod = (
      await kubectl('get', 'pods', '-l', 'app=shop', '-o', 'name')
    ).split('\n')[0];
    const logs = await kubectl('logs', pod, '--tail=3');
    expect(logs.trim().split('\n')).toHaveLength(3);

    expect(
      await kubectl(
        'delete',
        'deployment',
        'shop',
        '--wait=true',
        '--timeout=60s',
      ),
    ).toContain('deployment.apps "shop" deleted');
    // The garbage collector removes the ReplicaSets and their pods.
    await until(
      'the ReplicaSets and pods to be collected',
      () =>
        cluster.store.list(cluster.type('apps', 'replicasets'), 'default')
          .length === 0 &&
        cluster.store.list(cluster.type('', 'pods'), 'default').length === 0,
    );
    expect(await kubectl('get', 'rs,pods', '-o', 'name')).toBe('');
  });

  it('shows a crash loop the way a real cluster does', async () => {
    await kubectl(
      'create',
      'deployment',
      'broken',
      '--image=shop/web:1.0-crashloop',
    );
    await until('a restart', () =>
      cluster.store
        .list(cluster.type('', 'pods'), 'default')
        .find(
          p =>
            p.metadata.labels?.app === 'broken' &&
            p.status?.containerStatuses?.[0]?.restartCount > 0,
        ),
    );
    const pods = await kubectl('get', 'pods', '-l', 'app=broken');
    expect(pods).toMatch(/CrashLoopBackOff|Running|Error/);
    const name = (
      await kubectl('get', 'pods', '-l', 'app=broken', '-o', 'name')
    ).trim();
    expect(await kubectl('logs', name, '--previous', '--tail=20')).toMatch(
      /fatal|panic|Exception|Error/i,
    );
    expect(
      await kubectl(
        'get',
        'events',
        '--field-selector',
        'reason=BackOff',
        '-o',
        'name',
      ),
    ).toContain('event/');
    await kubectl('delete', 'deployment', 'broken');
  });
});

describe('@kubernetes/client-node against the sandbox', () => {
  let cluster: SandboxCluster;
  let kc: KubeConfig;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'informer',
      tokens: ['client-token'],
      timeScale: 0.05,
    });
    await cluster.listen(0);
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'informer', server: cluster.url, skipTLSVerify: true },
      ],
      users: [{ name: 'informer', token: 'client-token' }],
      contexts: [{ name: 'informer', cluster: 'informer', user: 'informer' }],
      currentContext: 'informer',
    });
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('lists and reads typed objects', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'typed', labels: { app: 'typed' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'typed' } },
          template: {
            metadata: { labels: { app: 'typed' } },
            spec: { containers: [{ name: 'app', image: 'typed:1' }] },
          },
        },
      },
    });
    const read = await apps.readNamespacedDeployment({
      name: 'typed',
      namespace: 'default',
    });
    expect(read.spec?.strategy?.rollingUpdate?.maxSurge).toBe('25%');
    const list = await apps.listDeploymentForAllNamespaces({
      labelSelector: 'app=typed',
    });
    expect(list.items.map(d => d.metadata?.name)).toEqual(['typed']);
  });

  it('informs about ADDED, MODIFIED and DELETED, and relists after a forced 410', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    const informer = makeInformer<V1ConfigMap>(
      kc,
      '/api/v1/namespaces/default/configmaps',
      () => core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    informer.on('add', cm => seen.push(`add ${cm.metadata?.name}`));
    informer.on('update', cm =>
      seen.push(`update ${cm.metadata?.name}=${cm.data?.v}`),
    );
    informer.on('delete', cm => seen.push(`delete ${cm.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on('error', e => errors.push(e));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'a' }, data: { v: '1' } },
      });
      await until('ADDED a', () => seen.includes('add a'));
      await core.replaceNamespacedConfigMap({
        name: 'a',
        namespace: 'default',
        body: { metadata: { name: 'a' }, data: { v: '2' } },
      });
      await until('MODIFIED a', () => seen.includes('update a=2'));
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'default' });
      await until('DELETED a', () => seen.includes('delete a'));

      const listsBefore = cluster.counters.total('list', 'configmaps');
      const res = await fetch(`${cluster.url}/sandbox/watches/expire`, {
        method: 'POST',
        headers: { Authorization: 'Bearer client-token' },
      });
      expect(await res.json()).toMatchObject({ expired: 1 });
      await until(
        'a relist after 410',
        () => cluster.counters.total('list', 'configmaps') > listsBefore,
      );
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'b' }, data: { v: '1' } },
      });
      await until('ADDED b after the relist', () => seen.includes('add b'));
      expect(informer.list().map(cm => cm.metadata?.name)).toEqual(['b']);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
