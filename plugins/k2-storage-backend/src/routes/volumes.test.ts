import { SandboxCluster } from '@internal/sandbox-cluster';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  DAVE,
  DeployMountsStandIn,
  OTHER_TEAM,
  serviceEntity,
  startK2StorageBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

/*
 * The Storage routes end to end: a real backend (permission policy, catalog, the k2
 * core plugin) on two sandbox clusters forming `test`, and a stand-in for Deploy's
 * mounts endpoint.
 */

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});
/** Another team's service. */
const ledger = serviceEntity(
  'ledger',
  { 'k2.io/environments': 'test', 'k2.io/namespace': 'finance' },
  { owner: OTHER_TEAM },
);

const API = '/api/k2-storage';
const base = (name = 'basket', namespace = 'default', environment = 'test') =>
  `${API}/services/${namespace}/${name}/environments/${environment}`;

describe('Storage routes', () => {
  let clusters: SandboxCluster[];
  const deploy = new DeployMountsStandIn();
  let backend: Awaited<ReturnType<typeof startK2StorageBackend>>;
  const server = () => request(backend.server);

  const pvc = async (
    cluster: SandboxCluster,
    namespace: string,
    name: string,
  ) =>
    (
      await api(cluster).get(
        `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`,
      )
    ).body;

  const volume = async (name: string, service = 'basket') => {
    const res = await server()
      .get(`${base(service)}/volumes`)
      .set(as(ALICE));
    expect(res.status).toBe(200);
    return (res.body.items as any[]).find(v => v.name === name);
  };

  beforeAll(async () => {
    clusters = ['test-1', 'test-2'].map(
      (name, i) =>
        new SandboxCluster({
          name,
          tokens: [`${name}-token`],
          timeScale: 0.1,
          bookmarkIntervalMs: 200,
          podNetwork: 100 + i,
        }),
    );
    for (const cluster of clusters) await cluster.listen(0);
    // A class only one cluster has: configured, but not offered.
    await api(clusters[0]).post('/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast-ssd' },
      provisioner: 'rbd.csi.ceph.com',
      allowVolumeExpansion: true,
    });
    backend = await startK2StorageBackend({
      entities: [basket, ledger],
      clusters,
      deploy,
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test-1' }, { name: 'test-2' }],
          },
        ],
        storage: {
          maxSize: '100Gi',
          environments: {
            test: {
              classes: [
                { name: 'nfs', label: 'NFS', kind: 'nfs' },
                { name: 'ceph-rbd', label: 'Ceph RBD', kind: 'block' },
                {
                  name: 'standard',
                  label: 'Local disk',
                  kind: 'block',
                },
                { name: 'fast-ssd', label: 'Fast SSD', kind: 'block' },
              ],
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    for (const cluster of clusters ?? []) await cluster.stop();
  });

  it('offers the configured classes every cluster of the environment has', async () => {
    const res = await server().get(`${base()}/storage-classes`).set(as(BOB));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          name: 'nfs',
          label: 'NFS',
          kind: 'nfs',
          accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'],
          allowExpansion: true,
        },
        {
          name: 'ceph-rbd',
          label: 'Ceph RBD',
          kind: 'block',
          accessModes: ['ReadWriteOnce'],
          allowExpansion: true,
        },
        {
          name: 'standard',
          label: 'Local disk',
          kind: 'block',
          accessModes: ['ReadWriteOnce'],
          allowExpansion: false,
        },
      ],
      missing: [{ name: 'fast-ssd', clusters: ['test-2'] }],
      clusters: ['test-1', 'test-2'],
      minSize: '1Gi',
      maxSize: '100Gi',
    });
  });

  it('creates a volume in every cluster, Bound once the clusters provision it', async () => {
    const res = await server().post(`${base()}/volumes`).set(as(ALICE)).send({
      name: 'data',
      storageClass: 'nfs',
      size: '5Gi',
      accessMode: 'ReadWriteMany',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'data', pvc: 'basket-data' });

    for (const cluster of clusters) {
      const claim = await poll(
        `basket-data Bound in ${cluster.name}`,
        async () => {
          const p = await pvc(cluster, 'shop', 'basket-data');
          return p.status?.phase === 'Bound' && p;
        },
      );
      expect(claim.metadata.labels).toEqual({
        'k2.io/service': 'basket',
        'k2.io/environment': 'test',
        'app.kubernetes.io/managed-by': 'k2',
        'k2.io/volume': 'data',
      });
      expect(claim.spec).toMatchObject({
        storageClassName: 'nfs',
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '5Gi' } },
      });
    }

    const listed = await poll('data Bound in the list', async () => {
      const v = await volume('data');
      return v?.clusters.every((c: any) => c.phase === 'Bound') && v;
    });
    expect(listed).toMatchObject({
      storageClass: 'nfs',
      accessMode: 'ReadWriteMany',
      size: '5Gi',
      mountedBy: [],
    });
    expect(listed.clusters).toEqual([
      expect.objectContaining({
        cluster: 'test-1',
        capacity: '5Gi',
        capacityBytes: 5 * 2 ** 30,
        expanding: false,
      }),
      expect.objectContaining({ cluster: 'test-2', capacity: '5Gi' }),
    ]);

    const again = await server().post(`${base()}/volumes`).set(as(ALICE)).send({
      name: 'data',
      storageClass: 'nfs',
      size: '5Gi',
      accessMode: 'ReadWriteOnce',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(
      "Volume 'data' already exists in test",
    );
  });

  it('shows a claim the class cannot provision as Pending with the reason', async () => {
    // Another class of the same name in the cluster would refuse the mode too: the
    // sandbox's rbd driver is ReadWriteOnce only, so a platform admin's hand-made
    // claim labelled as a volume stands in for a mode K2 itself never asks for.
    await api(clusters[0]).post(
      '/api/v1/namespaces/shop/persistentvolumeclaims',
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: 'basket-shared',
          labels: {
            'k2.io/service': 'basket',
            'k2.io/environment': 'test',
            'app.kubernetes.io/managed-by': 'k2',
            'k2.io/volume': 'shared',
          },
        },
        spec: {
          storageClassName: 'ceph-rbd',
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    );
    const shared = await poll('the Pending reason', async () => {
      const v = await volume('shared');
      return v?.clusters[0].reason?.startsWith('ProvisioningFailed') && v;
    });
    expect(shared.clusters[0]).toMatchObject({ phase: 'Pending' });
    expect(shared.clusters[0].reason).toContain('access mode ReadWriteMany');
    expect(shared.clusters[1]).toMatchObject({ phase: 'Missing' });
  });

  it('reports used bytes from the kubelet of a node where a running pod mounts the volume', async () => {
    const res = await api(clusters[0]).post('/api/v1/namespaces/shop/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'basket-0', labels: { 'k2.io/service': 'basket' } },
      spec: {
        containers: [{ name: 'app', image: 'shop/basket:1' }],
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'basket-data' } },
        ],
      },
    });
    expect(res.status).toBe(201);
    const used = await poll('used bytes', async () => {
      const v = await volume('data');
      return v?.clusters[0].usedBytes !== undefined && v;
    });
    expect(used.clusters[0].usedBytes).toBeGreaterThan(0);
    expect(used.clusters[0].usedBytes).toBeLessThan(5 * 2 ** 30);
    // No pod mounts it in test-2: unknown, not zero.
    expect(used.clusters[1].usedBytes).toBeUndefined();
  });

  it('expands a volume where the class allows it, expanding until the clusters report the size', async () => {
    const res = await server()
      .post(`${base()}/volumes/data/expand`)
      .set(as(ALICE))
      .send({ size: '8Gi' });
    expect(res.status).toBe(200);
    expect(res.body.size).toBe('8Gi');

    const grown = await poll('8Gi in every cluster', async () => {
      const v = await volume('data');
      return (
        v?.clusters.every(
          (c: any) => c.capacity === '8Gi' && c.expanding === false,
        ) && v
      );
    });
    expect(grown.size).toBe('8Gi');
    const claim = await pvc(clusters[1], 'shop', 'basket-data');
    expect(claim.status.capacity.storage).toBe('8Gi');

    const smaller = await server()
      .post(`${base()}/volumes/data/expand`)
      .set(as(ALICE))
      .send({ size: '6Gi' });
    expect(smaller.status).toBe(400);
    expect(smaller.body.error.message).toContain('not larger');
  });

  it('refuses expanding a volume whose class does not allow it, naming the class', async () => {
    const created = await server()
      .post(`${base()}/volumes`)
      .set(as(ALICE))
      .send({
        name: 'scratch',
        storageClass: 'standard',
        size: '1Gi',
        accessMode: 'ReadWriteOnce',
      });
    expect(created.status).toBe(201);
    await poll('scratch listed', () => volume('scratch'));
    const res = await server()
      .post(`${base()}/volumes/scratch/expand`)
      .set(as(ALICE))
      .send({ size: '2Gi' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      "Volume 'scratch' cannot be expanded: its storage class 'standard' (Local disk) does not allow volume expansion",
    );
    expect(
      (await pvc(clusters[0], 'shop', 'basket-scratch')).spec.resources.requests
        .storage,
    ).toBe('1Gi');
  });

  it('refuses deleting a volume a release mounts, naming the release', async () => {
    deploy.mounts.set('component:default/basket', [
      {
        environment: 'test',
        kind: 'volume',
        name: 'data',
        releases: [
          { id: 'r7', number: 7, current: true },
          { id: 'r5', number: 5, current: false },
        ],
      },
    ]);
    const listed = await volume('data');
    expect(listed.mountedBy).toEqual([
      { id: 'r7', number: 7, current: true },
      { id: 'r5', number: 5, current: false },
    ]);
    const res = await server().delete(`${base()}/volumes/data`).set(as(ALICE));
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(
      "Volume 'data' is mounted by release #7 in test",
    );
    expect((await pvc(clusters[0], 'shop', 'basket-data')).metadata.name).toBe(
      'basket-data',
    );
    // Deploy was asked as the Storage plugin, not as the user.
    expect(deploy.callers).toContain('plugin:k2-storage');

    deploy.down = true;
    const unknown = await server()
      .delete(`${base()}/volumes/data`)
      .set(as(ALICE));
    expect(unknown.status).toBe(503);
    deploy.down = false;
  });

  it('deletes a volume no release mounts in every cluster', async () => {
    deploy.mounts.clear();
    const res = await server().delete(`${base()}/volumes/data`).set(as(ALICE));
    expect(res.status).toBe(204);
    for (const cluster of clusters) {
      await poll(`basket-data gone from ${cluster.name}`, async () => {
        const r = await api(cluster).get(
          '/api/v1/namespaces/shop/persistentvolumeclaims/basket-data',
        );
        // The pod in test-1 still uses it: the claim waits, Terminating.
        return (
          r.status === 404 || r.body.metadata?.deletionTimestamp !== undefined
        );
      });
    }
    const gone = await poll('data Terminating or gone', async () => {
      const v = await volume('data');
      return (
        (v === undefined ||
          v.clusters.every((c: any) =>
            ['Terminating', 'Missing'].includes(c.phase),
          )) && { v }
      );
    });
    expect(gone).toBeTruthy();
  });

  it('completes a create a failing cluster interrupted, and never takes over another claim of the name', async () => {
    const input = {
      name: 'cache',
      storageClass: 'nfs',
      size: '2Gi',
      accessMode: 'ReadWriteMany',
    };
    const first = await server()
      .post(`${base()}/volumes`)
      .set(as(ALICE))
      .send(input);
    expect(first.status).toBe(201);
    // As if test-2 had failed: the volume is only in test-1.
    await api(clusters[1]).delete(
      '/api/v1/namespaces/shop/persistentvolumeclaims/basket-cache',
    );
    await poll('basket-cache gone from test-2', async () => {
      const v = await volume('cache');
      return v?.clusters[1].phase === 'Missing' && v;
    });

    const different = await server()
      .post(`${base()}/volumes`)
      .set(as(ALICE))
      .send({ ...input, size: '3Gi' });
    expect(different.status).toBe(409);
    expect(different.body.error.message).toBe(
      "Volume 'cache' already exists in test (PVC shop/basket-cache in cluster 'test-1')",
    );
    expect(
      (
        await api(clusters[1]).get(
          '/api/v1/namespaces/shop/persistentvolumeclaims/basket-cache',
        )
      ).status,
    ).toBe(404);

    const again = await server()
      .post(`${base()}/volumes`)
      .set(as(ALICE))
      .send(input);
    expect(again.status).toBe(201);
    const claim = await poll('basket-cache Bound in test-2', async () => {
      const p = await pvc(clusters[1], 'shop', 'basket-cache');
      return p.status?.phase === 'Bound' && p;
    });
    expect(claim.spec.resources.requests.storage).toBe('2Gi');

    const once = await server()
      .post(`${base()}/volumes`)
      .set(as(ALICE))
      .send(input);
    expect(once.status).toBe(409);
    expect(once.body.error.message).toBe(
      "Volume 'cache' already exists in test (PVC shop/basket-cache in every cluster)",
    );
    // As if an expand to 3Gi had reached test-1 only: the same expand grows test-2.
    await api(clusters[0]).mergePatch(
      '/api/v1/namespaces/shop/persistentvolumeclaims/basket-cache',
      { spec: { resources: { requests: { storage: '3Gi' } } } },
    );
    const expanded = await server()
      .post(`${base()}/volumes/cache/expand`)
      .set(as(ALICE))
      .send({ size: '3Gi' });
    expect(expanded.status).toBe(200);
    expect(
      (await pvc(clusters[1], 'shop', 'basket-cache')).spec.resources.requests
        .storage,
    ).toBe('3Gi');

    const activity = await server()
      .get('/api/k2/services/default/basket/activity?limit=100')
      .set(as(BOB));
    expect(activity.body.items.map((e: any) => e.summary)).toContain(
      'Created volume cache (2Gi, nfs) in test: PVC basket-cache in test-2 (already in test-1)',
    );
    expect(activity.body.items.map((e: any) => e.summary)).toContain(
      'Expanded volume cache from 2Gi to 3Gi in test',
    );
  });

  it('puts every change and refusal in the service’s activity log, with who and how it ended', async () => {
    const res = await server()
      .get('/api/k2/services/default/basket/activity?limit=100')
      .set(as(BOB));
    expect(res.status).toBe(200);
    const entries = (
      res.body.items as Array<{
        actor: string;
        action: string;
        result: string;
        environment?: string;
        summary: string;
      }>
    ).map(e => [e.actor, e.action, e.result, e.summary]);
    expect(entries).toEqual(
      expect.arrayContaining([
        [
          ALICE,
          'volume-create',
          'succeeded',
          'Created volume data (5Gi, nfs) in test: PVC basket-data in test-1, test-2',
        ],
        [
          ALICE,
          'volume-expand',
          'succeeded',
          'Expanded volume data from 5Gi to 8Gi in test',
        ],
        [
          ALICE,
          'volume-expand',
          'failed',
          "Failed (ConflictError): Volume 'scratch' cannot be expanded: its storage class 'standard' (Local disk) does not allow volume expansion",
        ],
        [
          ALICE,
          'volume-delete',
          'failed',
          "Failed (ConflictError): Volume 'data' is mounted by release #7 in test; release without it first",
        ],
        [
          ALICE,
          'volume-delete',
          'succeeded',
          'Deleted volume data in test: PVC basket-data in test-1, test-2',
        ],
      ]),
    );
  });

  describe('refusals', () => {
    const create = (
      body: Record<string, unknown>,
      user = ALICE,
      path = base(),
    ) =>
      server()
        .post(`${path}/volumes`)
        .set(as(user))
        .send({
          name: 'logs',
          storageClass: 'nfs',
          size: '2Gi',
          accessMode: 'ReadWriteOnce',
          ...body,
        });

    const noClaim = async (name: string, namespace = 'shop') => {
      for (const cluster of clusters) {
        const r = await api(cluster).get(
          `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`,
        );
        expect(r.status).toBe(404);
      }
    };

    it('refuses another team, and writes nothing', async () => {
      const res = await create({}, BOB);
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'You may not create volumes of component:default/basket',
      );
      await noClaim('basket-logs');
      const expand = await server()
        .post(`${base()}/volumes/scratch/expand`)
        .set(as(BOB))
        .send({ size: '2Gi' });
      expect(expand.status).toBe(403);
      const del = await server()
        .delete(`${base()}/volumes/scratch`)
        .set(as(BOB));
      expect(del.status).toBe(403);
      const log = await server()
        .get('/api/k2/services/default/basket/activity?limit=100')
        .set(as(BOB));
      expect(
        (log.body.items as Array<{ actor: string; summary: string }>)
          .filter(e => e.actor === BOB)
          .map(e => e.summary),
      ).toEqual(
        expect.arrayContaining([
          'Refused: You may not create volumes of component:default/basket',
          'Refused: You may not delete volumes of component:default/basket',
        ]),
      );
    });

    it("refuses an owner acting on another team's service", async () => {
      const res = await create({}, ALICE, base('ledger'));
      expect(res.status).toBe(403);
      await noClaim('ledger-logs', 'finance');
    });

    it('lets a platform admin create on any service', async () => {
      const res = await create({ name: 'audit' }, DAVE, base('ledger'));
      expect(res.status).toBe(201);
      expect(res.body.pvc).toBe('ledger-audit');
    });

    it("answers 404 for another service's volume named through this service", async () => {
      await poll('ledger-audit listed', async () =>
        (
          await server()
            .get(`${base('ledger')}/volumes`)
            .set(as(ALICE))
        ).body.items?.find((v: any) => v.name === 'audit'),
      );
      const res = await server()
        .delete(`${base()}/volumes/audit`)
        .set(as(ALICE));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe(
        "component:default/basket has no volume 'audit' in test",
      );
    });

    it('answers 404 for a catalog namespace that is not the service’s', async () => {
      const res = await create({}, ALICE, base('basket', 'finance'));
      expect([403, 404]).toContain(res.status);
      const read = await server()
        .get(`${base('basket', 'finance')}/volumes`)
        .set(as(ALICE));
      expect(read.status).toBe(404);
    });

    it.each([
      [{ storageClass: 'gold' }, "Storage class 'gold' is not offered in test"],
      [
        { storageClass: 'fast-ssd' },
        "Storage class 'fast-ssd' is missing in cluster test-2 of test",
      ],
      [
        { storageClass: 'ceph-rbd', accessMode: 'ReadWriteMany' },
        'A Ceph RBD volume cannot be ReadWriteMany; its access modes: ReadWriteOnce',
      ],
      [
        { size: '10Ei' },
        '10Ei is outside the sizes a volume may have in test: 1Gi to 100Gi',
      ],
      [
        { size: '100Mi' },
        '100Mi is outside the sizes a volume may have in test: 1Gi to 100Gi',
      ],
      [{ size: 'lots' }, "'lots' is not a size"],
      [{ size: '-5Gi' }, 'is outside the sizes'],
    ])('refuses %j with 400', async (body, message) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(message);
      await noClaim('basket-logs');
    });

    it.each([
      [{ name: 'Data' }, 'name'],
      [{ name: 'a'.repeat(41) }, 'name'],
      [{ accessMode: 'ReadWriteAll' }, 'accessMode'],
      [{ extra: true }, 'extra'],
    ])('refuses a body breaking the contract: %j', async (body, field) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
    });
  });
});
