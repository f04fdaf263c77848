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
 * Volumes as K2 uses them: classes and their access modes, resize admission, online
 * expansion shown in progress, and the kubelet's volume statistics through the node
 * proxy.
 */

jest.setTimeout(30000);

const GI = 2 ** 30;

let cluster: SandboxCluster;
let client: ApiClient;
let ns: string;

beforeAll(async () => {
  cluster = new SandboxCluster({ name: 'c', tokens: ['tok'], timeScale: 0.1 });
  await cluster.listen(0);
  client = api(cluster);
});

afterAll(async () => {
  await cluster.close();
});

beforeEach(async () => {
  ns = await createNamespace(client, 'storage');
});

afterEach(async () => {
  await destroyNamespace(client, ns);
});

const claims = () => `/api/v1/namespaces/${ns}/persistentvolumeclaims`;

async function createClaim(
  name: string,
  storageClassName: string,
  storage: string,
  accessMode = 'ReadWriteOnce',
) {
  const res = await client.post(claims(), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: {
      storageClassName,
      accessModes: [accessMode],
      resources: { requests: { storage } },
    },
  });
  expect(res.status).toBe(201);
}

const claim = async (name: string) =>
  (await client.get(`${claims()}/${name}`)).body;

const bound = (name: string) =>
  poll(`${name} to be Bound`, async () => {
    const pvc = await claim(name);
    return pvc.status?.phase === 'Bound' && pvc;
  });

async function events(name: string): Promise<any[]> {
  const res = await client.get(
    `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(
      `involvedObject.name=${name}`,
    )}`,
  );
  return res.body.items;
}

const grow = (name: string, storage: string) =>
  client.mergePatch(`${claims()}/${name}`, {
    spec: { resources: { requests: { storage } } },
  });

async function runPodWith(claimName: string, pod = 'app') {
  const res = await client.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'shop/app:1',
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }],
    },
  });
  expect(res.status).toBe(201);
  return poll(`${pod} to run`, async () => {
    const p = (await client.get(`/api/v1/namespaces/${ns}/pods/${pod}`)).body;
    return p.status?.phase === 'Running' && p;
  });
}

describe('storage classes', () => {
  it('offers a block class whose claims are ReadWriteOnce only', async () => {
    const cls = await client.get(
      '/apis/storage.k8s.io/v1/storageclasses/ceph-rbd',
    );
    expect(cls.status).toBe(200);
    expect(cls.body).toMatchObject({
      provisioner: 'rbd.csi.ceph.com',
      allowVolumeExpansion: true,
    });

    await createClaim('block', 'ceph-rbd', '1Gi');
    await bound('block');

    await createClaim('shared', 'ceph-rbd', '1Gi', 'ReadWriteMany');
    const failed = await poll('a ProvisioningFailed event', async () =>
      (await events('shared')).find(e => e.reason === 'ProvisioningFailed'),
    );
    expect(failed.type).toBe('Warning');
    expect(failed.message).toContain('access mode ReadWriteMany');
    expect((await claim('shared')).status.phase).toBe('Pending');
  });
});

describe('resize admission', () => {
  it('refuses growing a claim whose class does not allow expansion (403)', async () => {
    await createClaim('local', 'standard', '1Gi');
    await bound('local');
    const res = await grow('local', '2Gi');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message:
        'persistentvolumeclaims "local" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
    });
    expect((await claim('local')).spec.resources.requests.storage).toBe('1Gi');
  });

  it('refuses shrinking a bound claim (422)', async () => {
    await createClaim('files', 'nfs', '2Gi');
    await bound('files');
    const res = await grow('files', '1Gi');
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({
        field: 'spec.resources.requests.storage',
        message: 'Forbidden: field can not be less than previous value',
      }),
    ]);
  });
});

describe('expansion', () => {
  it('grows an NFS claim on the server alone: Resizing, then the new capacity', async () => {
    await createClaim('files', 'nfs', '5Gi');
    await bound('files');
    expect((await grow('files', '8Gi')).status).toBe(200);

    const resizing = await claim('files');
    expect(resizing.status.conditions).toEqual([
      expect.objectContaining({ type: 'Resizing', status: 'True' }),
    ]);
    expect(resizing.status.capacity.storage).toBe('5Gi');

    const done = await poll('the new capacity', async () => {
      const pvc = await claim('files');
      return pvc.status.capacity.storage === '8Gi' && pvc;
    });
    expect(done.status.conditions).toBeUndefined();
    const reasons = (await events('files')).map(e => e.reason);
    expect(reasons).toEqual(
      expect.arrayContaining(['Resizing', 'VolumeResizeSuccessful']),
    );
    const pv = await client.get(
      `/api/v1/persistentvolumes/${done.spec.volumeName}`,
    );
    expect(pv.body.spec.capacity.storage).toBe('8Gi');
  });

  it('keeps a block claim at FileSystemResizePending until a pod mounts it', async () => {
    await createClaim('block', 'ceph-rbd', '1Gi');
    await bound('block');
    expect((await grow('block', '3Gi')).status).toBe(200);

    const pending = await poll('FileSystemResizePending', async () => {
      const pvc = await claim('block');
      return (
        pvc.status.conditions?.[0]?.type === 'FileSystemResizePending' && pvc
      );
    });
    expect(pending.status.capacity.storage).toBe('1Gi');
    await new Promise(r => setTimeout(r, 500));
    expect((await claim('block')).status.capacity.storage).toBe('1Gi');

    await runPodWith('block');
    const done = await poll('the new capacity', async () => {
      const pvc = await claim('block');
      return pvc.status.capacity.storage === '3Gi' && pvc;
    });
    expect(done.status.conditions).toBeUndefined();
    expect((await events('block')).map(e => e.reason)).toEqual(
      expect.arrayContaining([
        'Resizing',
        'FileSystemResizeRequired',
        'FileSystemResizeSuccessful',
      ]),
    );
  });
});

describe('kubelet volume statistics', () => {
  const series = (text: string, name: string, claimName: string) => {
    const m = new RegExp(
      `^${name}\\{namespace="${ns}",persistentvolumeclaim="${claimName}"\\} (\\S+)$`,
      'm',
    ).exec(text);
    return m ? Number(m[1]) : undefined;
  };

  it('reports used, capacity and available bytes of mounted claims at the node', async () => {
    await createClaim('data', 'nfs', '2Gi', 'ReadWriteMany');
    await createClaim('idle', 'nfs', '1Gi');
    await bound('data');
    await bound('idle');
    const pod = await runPodWith('data');
    const node = pod.spec.nodeName;

    const first = await client.get(`/api/v1/nodes/${node}/proxy/metrics`);
    expect(first.status).toBe(200);
    const capacity = series(
      first.text,
      'kubelet_volume_stats_capacity_bytes',
      'data',
    );
    const used = series(first.text, 'kubelet_volume_stats_used_bytes', 'data');
    const available = series(
      first.text,
      'kubelet_volume_stats_available_bytes',
      'data',
    );
    expect(capacity).toBe(2 * GI);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(capacity!);
    expect(available).toBe(capacity! - used!);
    expect(
      series(first.text, 'kubelet_volume_stats_inodes_used', 'data'),
    ).toBeGreaterThan(0);
    // A claim no running pod mounts is not measured.
    expect(
      series(first.text, 'kubelet_volume_stats_used_bytes', 'idle'),
    ).toBeUndefined();

    await new Promise(r => setTimeout(r, 1100));
    const later = await client.get(`/api/v1/nodes/${node}/proxy/metrics`);
    const usedLater = series(
      later.text,
      'kubelet_volume_stats_used_bytes',
      'data',
    )!;
    expect(usedLater).toBeGreaterThan(used!);
    expect(usedLater).toBeLessThan(used! + 1024 * 1024);

    const summary = await client.get(
      `/api/v1/nodes/${node}/proxy/stats/summary`,
    );
    expect(summary.status).toBe(200);
    const entry = summary.body.pods.find(
      (p: any) => p.podRef.name === 'app' && p.podRef.namespace === ns,
    );
    expect(entry.volume).toEqual([
      expect.objectContaining({
        name: 'data',
        pvcRef: { name: 'data', namespace: ns },
        capacityBytes: 2 * GI,
      }),
    ]);
  });

  it('answers 404 for a node that does not exist', async () => {
    const res = await client.get('/api/v1/nodes/nowhere/proxy/metrics');
    expect(res.status).toBe(404);
  });
});

const describeKubectl = kubectlAvailable() ? describe : describe.skip;

describeKubectl('kubectl', () => {
  it('shows a claim Bound and reports the refused resize as the API server does', async () => {
    const kubectl = new Kubectl([cluster]);
    try {
      await createClaim('files', 'standard', '1Gi');
      await bound('files');
      const get = await kubectl.run('c', '-n', ns, 'get', 'pvc', 'files');
      expect(get.code).toBe(0);
      expect(get.stdout).toMatch(
        /files\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+standard/,
      );

      const patch = await kubectl.run(
        'c',
        '-n',
        ns,
        'patch',
        'pvc',
        'files',
        '-p',
        '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}',
      );
      expect(patch.code).not.toBe(0);
      expect(patch.stderr).toContain(
        'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
      );
    } finally {
      kubectl.dispose();
    }
  });
});
