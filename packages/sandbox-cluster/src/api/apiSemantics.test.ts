/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectStatus"] }] */
import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  api,
  createNamespace,
  destroyNamespace,
  poll,
} from '../__testUtils__/http';

/*
 * The sandbox's Kubernetes API semantics, exercised over HTTP exactly as a client sees
 * them. Every assertion here is what a real kube-apiserver does too. Known differences
 * are listed in the package README.
 */

jest.setTimeout(60000);

let cluster: SandboxCluster;
let client: ApiClient;
const namespaces: string[] = [];

beforeAll(async () => {
  cluster = new SandboxCluster({
    name: 't',
    tokens: ['tok'],
    timeScale: 0.02,
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

/** A namespace for one test, deleted with everything in it after the test. */
async function testNamespace(): Promise<string> {
  const ns = await createNamespace(client, 'sem');
  namespaces.push(ns);
  return ns;
}

const core = (ns: string, resource: string, name?: string) =>
  `/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
const apps = (ns: string, resource: string, name?: string) =>
  `/apis/apps/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`;
const q = (value: string) => encodeURIComponent(value);

function configMap(name: string, extra: Record<string, any> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...extra.metadata },
    data: extra.data ?? { key: 'value' },
  };
}

function deployment(
  name: string,
  options: { replicas?: number; containers?: any[] } = {},
) {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: options.containers ?? [
            { name: 'app', image: 'nginx:1.27' },
          ],
        },
      },
    },
  };
}

function expectStatus(
  res: { status: number; body: any },
  code: number,
  reason: string,
) {
  expect({
    status: res.status,
    kind: res.body?.kind,
    reason: res.body?.reason,
  }).toEqual({
    status: code,
    kind: 'Status',
    reason,
  });
  expect(res.body).toMatchObject({
    apiVersion: 'v1',
    status: 'Failure',
    code,
  });
  expect(typeof res.body.message).toBe('string');
}

const names = (list: { body: any }) =>
  (list.body.items as any[]).map(i => i.metadata.name).sort();

async function podsOf(ns: string, app: string) {
  const res = await client.get(
    `${core(ns, 'pods')}?labelSelector=${q(`app=${app}`)}`,
  );
  return res.body.items as any[];
}

async function replicaSetsOf(ns: string, app: string) {
  const res = await client.get(
    `${apps(ns, 'replicasets')}?labelSelector=${q(`app=${app}`)}`,
  );
  return res.body.items as any[];
}

describe('authentication', () => {
  it('answers 401 with an Unauthorized Status without a token', async () => {
    const res = await client.get('/api/v1/namespaces', { token: null });
    expectStatus(res, 401, 'Unauthorized');
  });

  it('answers 401 with an Unauthorized Status for a wrong token', async () => {
    const res = await client.get('/api/v1/namespaces', { token: 'wrong' });
    expectStatus(res, 401, 'Unauthorized');
  });

  it('serves requests with a valid bearer token', async () => {
    const res = await client.get('/api/v1/namespaces');
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('NamespaceList');
  });
});

describe('discovery', () => {
  it('serves /version', async () => {
    const res = await client.get('/version');
    expect(res.status).toBe(200);
    expect(res.body.major).toBe('1');
    expect(res.body.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it('serves /api and /apis', async () => {
    const versions = await client.get('/api');
    expect(versions.status).toBe(200);
    expect(versions.body.kind).toBe('APIVersions');
    expect(versions.body.versions).toContain('v1');

    const groups = await client.get('/apis');
    expect(groups.status).toBe(200);
    expect(groups.body.kind).toBe('APIGroupList');
    const appsGroup = groups.body.groups.find((g: any) => g.name === 'apps');
    expect(appsGroup).toMatchObject({
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
    expect(appsGroup.versions).toContainEqual({
      groupVersion: 'apps/v1',
      version: 'v1',
    });
    const groupNames = groups.body.groups.map((g: any) => g.name);
    expect(groupNames).toEqual(
      expect.arrayContaining(['batch', 'autoscaling', 'networking.k8s.io']),
    );
  });

  it('lists core v1 resources with short names and subresources', async () => {
    const res = await client.get('/api/v1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'v1',
    });
    const byName = new Map<string, any>(
      res.body.resources.map((r: any) => [r.name, r]),
    );
    expect(byName.get('pods')).toMatchObject({
      kind: 'Pod',
      namespaced: true,
      singularName: 'pod',
    });
    expect(byName.get('pods').shortNames).toContain('po');
    expect(byName.get('pods').verbs).toEqual(
      expect.arrayContaining([
        'get',
        'list',
        'watch',
        'create',
        'delete',
        'patch',
      ]),
    );
    expect(byName.get('pods/log')).toMatchObject({ kind: 'Pod' });
    expect(byName.get('pods/log').verbs).toContain('get');
    expect(byName.get('pods/status')).toMatchObject({ kind: 'Pod' });
    expect(byName.get('namespaces')).toMatchObject({ namespaced: false });
    expect(byName.get('configmaps').shortNames).toContain('cm');
  });

  it('lists apps/v1 resources with the Scale subresource of autoscaling', async () => {
    const res = await client.get('/apis/apps/v1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'apps/v1',
    });
    const scale = res.body.resources.find(
      (r: any) => r.name === 'deployments/scale',
    );
    expect(scale).toMatchObject({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      namespaced: true,
    });
    const deployments = res.body.resources.find(
      (r: any) => r.name === 'deployments',
    );
    expect(deployments).toMatchObject({ kind: 'Deployment' });
    expect(deployments.shortNames).toContain('deploy');
  });

  it('answers 404 NotFound for an unknown path', async () => {
    const res = await client.get('/api/v1/nosuchresources');
    expectStatus(res, 404, 'NotFound');
  });
});

describe('create, get and update', () => {
  it('creates an object with server-set metadata', async () => {
    const ns = await testNamespace();
    const res = await client.post(core(ns, 'configmaps'), configMap('first'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'first', namespace: ns },
      data: { key: 'value' },
    });
    expect(res.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(res.body.metadata.creationTimestamp)).not.toBeNaN();
    expect(res.body.metadata.resourceVersion).toMatch(/^\d+$/);

    const got = await client.get(core(ns, 'configmaps', 'first'));
    expect(got.status).toBe(200);
    expect(got.body.metadata.uid).toBe(res.body.metadata.uid);
    expect(got.body.metadata.resourceVersion).toBe(
      res.body.metadata.resourceVersion,
    );
  });

  it('answers 409 AlreadyExists when creating an existing name', async () => {
    const ns = await testNamespace();
    expect(
      (await client.post(core(ns, 'configmaps'), configMap('dup'))).status,
    ).toBe(201);
    const res = await client.post(core(ns, 'configmaps'), configMap('dup'));
    expectStatus(res, 409, 'AlreadyExists');
    expect(res.body.details).toMatchObject({ name: 'dup', kind: 'configmaps' });
  });

  it('answers 404 NotFound with details for an unknown object', async () => {
    const ns = await testNamespace();
    const res = await client.get(core(ns, 'configmaps', 'missing'));
    expectStatus(res, 404, 'NotFound');
    expect(res.body.details).toMatchObject({
      name: 'missing',
      kind: 'configmaps',
    });
    expect(res.body.message).toContain('"missing" not found');

    const dep = await client.get(apps(ns, 'deployments', 'missing'));
    expectStatus(dep, 404, 'NotFound');
    expect(dep.body.details).toMatchObject({
      name: 'missing',
      group: 'apps',
      kind: 'deployments',
    });
  });

  it('rejects a PUT with a stale resourceVersion and accepts the current one', async () => {
    const ns = await testNamespace();
    const created = (
      await client.post(core(ns, 'configmaps'), configMap('cas'))
    ).body;
    const path = core(ns, 'configmaps', 'cas');

    const first = await client.put(path, { ...created, data: { key: 'v2' } });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ key: 'v2' });
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    expect(first.body.metadata.uid).toBe(created.metadata.uid);

    const stale = await client.put(path, { ...created, data: { key: 'v3' } });
    expectStatus(stale, 409, 'Conflict');
    expect(stale.body.message).toContain('the object has been modified');
    expect((await client.get(path)).body.data).toEqual({ key: 'v2' });

    const current = await client.put(path, {
      ...first.body,
      data: { key: 'v3' },
    });
    expect(current.status).toBe(200);
    expect(current.body.data).toEqual({ key: 'v3' });
    expect(Number(current.body.metadata.resourceVersion)).toBeGreaterThan(
      Number(first.body.metadata.resourceVersion),
    );
  });

  it.each([
    [
      'a selector that does not match the template labels',
      (d: any) => {
        d.spec.selector = { matchLabels: { app: 'other' } };
      },
      'spec.template.metadata.labels',
    ],
    [
      'no containers',
      (d: any) => {
        d.spec.template.spec.containers = [];
      },
      'spec.template.spec.containers',
    ],
    [
      'an invalid name',
      (d: any) => {
        d.metadata.name = 'Bad_Name';
      },
      'metadata.name',
    ],
  ])(
    'answers 422 Invalid for a Deployment with %s',
    async (_what, change, field) => {
      const ns = await testNamespace();
      const body = deployment('invalid');
      change(body);
      const res = await client.post(apps(ns, 'deployments'), body);
      expectStatus(res, 422, 'Invalid');
      expect(res.body.details.kind).toBe('Deployment');
      expect(res.body.details.causes).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      const list = await client.get(apps(ns, 'deployments'));
      expect(list.body.items).toEqual([]);
    },
  );

  it('answers 404 for a create in a namespace that does not exist', async () => {
    const res = await client.post(
      core('no-such-namespace', 'configmaps'),
      configMap('orphan'),
    );
    expectStatus(res, 404, 'NotFound');
    expect(res.body.details).toMatchObject({
      name: 'no-such-namespace',
      kind: 'namespaces',
    });
  });

  it('does not persist a dryRun=All create', async () => {
    const ns = await testNamespace();
    const res = await client.post(
      `${core(ns, 'configmaps')}?dryRun=All`,
      configMap('dry'),
    );
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe('dry');
    const got = await client.get(core(ns, 'configmaps', 'dry'));
    expect(got.status).toBe(404);
  });
});

describe('generation and the status subresource', () => {
  it('increments generation on spec changes only', async () => {
    const ns = await testNamespace();
    const created = await client.post(
      apps(ns, 'deployments'),
      deployment('gen', { replicas: 0 }),
    );
    expect(created.status).toBe(201);
    expect(created.body.metadata.generation).toBe(1);
    const path = apps(ns, 'deployments', 'gen');

    const labelled = await client.mergePatch(path, {
      metadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
    });
    expect(labelled.status).toBe(200);
    expect(labelled.body.metadata.labels).toEqual({ team: 'a' });
    expect(labelled.body.metadata.generation).toBe(1);

    const changed = await client.mergePatch(path, {
      spec: { minReadySeconds: 3 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.spec.minReadySeconds).toBe(3);
    expect(changed.body.metadata.generation).toBe(2);

    const again = await client.mergePatch(path, {
      metadata: { labels: { team: 'b' } },
    });
    expect(again.body.metadata.generation).toBe(2);
  });

  it('writes only status through /status and only spec through the main resource', async () => {
    const ns = await testNamespace();
    await client.post(
      apps(ns, 'deployments'),
      deployment('split', { replicas: 0 }),
    );
    const path = apps(ns, 'deployments', 'split');

    const live = (await client.get(path)).body;
    delete live.metadata.resourceVersion;
    const statusPut = await client.put(`${path}/status`, {
      ...live,
      spec: { ...live.spec, replicas: 7 },
      status: { ...live.status, collisionCount: 3 },
    });
    expect(statusPut.status).toBe(200);
    expect(statusPut.body.spec.replicas).toBe(0);
    expect(statusPut.body.status.collisionCount).toBe(3);
    expect((await client.get(path)).body.spec.replicas).toBe(0);

    const again = (await client.get(path)).body;
    delete again.metadata.resourceVersion;
    const mainPut = await client.put(path, {
      ...again,
      spec: { ...again.spec, minReadySeconds: 2 },
      status: { ...again.status, collisionCount: 9 },
    });
    expect(mainPut.status).toBe(200);
    expect(mainPut.body.spec.minReadySeconds).toBe(2);
    expect(mainPut.body.status.collisionCount).toBe(3);
    expect((await client.get(path)).body.status.collisionCount).toBe(3);
  });
});

describe('selectors', () => {
  it('filters lists by label selectors', async () => {
    const ns = await testNamespace();
    const labelled: Record<string, Record<string, string> | undefined> = {
      'c-b': { a: 'b' },
      'c-x': { a: 'x' },
      'c-y': { a: 'y' },
      'c-z': { a: 'z' },
      'c-none': undefined,
    };
    for (const [name, labels] of Object.entries(labelled)) {
      const res = await client.post(
        core(ns, 'configmaps'),
        configMap(name, { metadata: labels ? { labels } : {} }),
      );
      expect(res.status).toBe(201);
    }
    const cases: [string, string[]][] = [
      ['a=b', ['c-b']],
      ['a==b', ['c-b']],
      ['a!=b', ['c-none', 'c-x', 'c-y', 'c-z']],
      ['a in (x,y)', ['c-x', 'c-y']],
      ['a notin (x)', ['c-b', 'c-none', 'c-y', 'c-z']],
      ['a', ['c-b', 'c-x', 'c-y', 'c-z']],
      ['!a', ['c-none']],
      ['a,a notin (b,z)', ['c-x', 'c-y']],
    ];
    for (const [selector, expected] of cases) {
      const res = await client.get(
        `${core(ns, 'configmaps')}?labelSelector=${q(selector)}`,
      );
      expect({ selector, status: res.status, names: names(res) }).toEqual({
        selector,
        status: 200,
        names: expected,
      });
    }
  });

  it('answers 400 for an unparsable label selector', async () => {
    const ns = await testNamespace();
    const res = await client.get(
      `${core(ns, 'configmaps')}?labelSelector=${q('a in (x')}`,
    );
    expectStatus(res, 400, 'BadRequest');
  });

  it('filters pods by metadata.name and status.phase field selectors', async () => {
    const ns = await testNamespace();
    const pod = (name: string, extra: Record<string, any> = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...extra },
    });
    expect((await client.post(core(ns, 'pods'), pod('runs'))).status).toBe(201);
    // No node carries this label, so the pod stays Pending.
    expect(
      (
        await client.post(
          core(ns, 'pods'),
          pod('waits', { nodeSelector: { 'example.com/no-such-node': 'x' } }),
        )
      ).status,
    ).toBe(201);
    await poll('pod "runs" to be Running', async () => {
      const got = await client.get(core(ns, 'pods', 'runs'));
      return got.body.status?.phase === 'Running';
    });

    const select = async (selector: string) => {
      const res = await client.get(
        `${core(ns, 'pods')}?fieldSelector=${q(selector)}`,
      );
      expect(res.status).toBe(200);
      return names(res);
    };
    expect(await select('metadata.name=runs')).toEqual(['runs']);
    expect(await select('metadata.name!=runs')).toEqual(['waits']);
    expect(await select('status.phase=Running')).toEqual(['runs']);
    expect(await select('status.phase=Pending')).toEqual(['waits']);
    expect(await select('status.phase!=Running')).toEqual(['waits']);
    expect(await select('metadata.name=waits,status.phase=Running')).toEqual(
      [],
    );
    expect(
      (await client.get(core(ns, 'pods', 'waits'))).body.status.phase,
    ).toBe('Pending');

    const unsupported = await client.get(
      `${core(ns, 'pods')}?fieldSelector=${q('spec.image=nginx')}`,
    );
    expectStatus(unsupported, 400, 'BadRequest');
    expect(unsupported.body.message).toContain('spec.image');
  });
});

describe('pagination', () => {
  async function createMany(ns: string, count: number) {
    for (let i = 0; i < count; i++) {
      const res = await client.post(
        core(ns, 'configmaps'),
        configMap(`page-${String(i).padStart(2, '0')}`),
      );
      expect(res.status).toBe(201);
    }
  }

  it('pages through a list with limit and continue', async () => {
    const ns = await testNamespace();
    await createMany(ns, 25);
    const seen: string[] = [];
    const pages: any[] = [];
    let token: string | undefined;
    do {
      const res = await client.get(
        `${core(ns, 'configmaps')}?limit=10${
          token ? `&continue=${q(token)}` : ''
        }`,
      );
      expect(res.status).toBe(200);
      pages.push(res.body);
      seen.push(...res.body.items.map((i: any) => i.metadata.name));
      token = res.body.metadata.continue;
      expect(pages.length).toBeLessThanOrEqual(3);
    } while (token);

    expect(pages.map(p => p.items.length)).toEqual([10, 10, 5]);
    expect(pages.map(p => p.metadata.remainingItemCount)).toEqual([
      15,
      5,
      undefined,
    ]);
    expect(typeof pages[0].metadata.continue).toBe('string');
    expect(typeof pages[1].metadata.continue).toBe('string');
    expect(pages[2].metadata.continue ?? '').toBe('');
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort()).toEqual(
      Array.from(
        { length: 25 },
        (_, i) => `page-${String(i).padStart(2, '0')}`,
      ),
    );
  });

  it('answers 410 Expired for a continue token from before a compaction', async () => {
    const ns = await testNamespace();
    await createMany(ns, 12);
    const first = await client.get(`${core(ns, 'configmaps')}?limit=5`);
    const token = first.body.metadata.continue;
    expect(typeof token).toBe('string');
    // A write after the token, then the compaction.
    await client.post(core(ns, 'configmaps'), configMap('after-token'));
    const expired = await client.post('/sandbox/watches/expire', {});
    expect(expired.status).toBe(200);

    const res = await client.get(
      `${core(ns, 'configmaps')}?limit=5&continue=${q(token)}`,
    );
    expectStatus(res, 410, 'Expired');

    const fresh = await client.get(core(ns, 'configmaps'));
    expect(fresh.status).toBe(200);
    expect(fresh.body.items).toHaveLength(13);
  });
});

describe('patch', () => {
  it('applies a JSON patch and answers 422 when a test operation fails', async () => {
    const ns = await testNamespace();
    await client.post(
      core(ns, 'configmaps'),
      configMap('json', { data: { a: '1', b: '2' } }),
    );
    const path = core(ns, 'configmaps', 'json');
    const res = await client.patch(
      path,
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'add', path: '/data/c', value: '3' },
        { op: 'replace', path: '/data/a', value: '10' },
        { op: 'remove', path: '/data/b' },
        { op: 'add', path: '/metadata/labels', value: {} },
        { op: 'add', path: '/metadata/labels/example.com~1team', value: 'y' },
      ],
      'application/json-patch+json',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ a: '10', c: '3' });
    expect(res.body.metadata.labels).toEqual({ 'example.com/team': 'y' });

    const failed = await client.patch(
      path,
      [
        { op: 'test', path: '/data/a', value: 'not-this' },
        { op: 'replace', path: '/data/a', value: '20' },
      ],
      'application/json-patch+json',
    );
    expectStatus(failed, 422, 'Invalid');
    expect((await client.get(path)).body.data).toEqual({ a: '10', c: '3' });
  });

  it('deletes a label with null in a merge patch', async () => {
    const ns = await testNamespace();
    await client.post(
      core(ns, 'configmaps'),
      configMap('merge', { metadata: { labels: { keep: 'y', drop: 'x' } } }),
    );
    const res = await client.mergePatch(core(ns, 'configmaps', 'merge'), {
      metadata: { labels: { drop: null, added: 'z' } },
      data: { other: 'v' },
    });
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ keep: 'y', added: 'z' });
    expect(res.body.data).toEqual({ key: 'value', other: 'v' });
  });

  it('merges containers by name in a strategic merge patch and honours $patch: delete', async () => {
    const ns = await testNamespace();
    await client.post(
      apps(ns, 'deployments'),
      deployment('smp', {
        replicas: 0,
        containers: [
          { name: 'app', image: 'nginx:1.27' },
          { name: 'sidecar', image: 'busybox:1.36' },
        ],
      }),
    );
    const path = apps(ns, 'deployments', 'smp');
    const smp = 'application/strategic-merge-patch+json';

    const added = await client.patch(
      path,
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'app', env: [{ name: 'FOO', value: 'bar' }] },
              ],
            },
          },
        },
      },
      smp,
    );
    expect(added.status).toBe(200);
    const containers = added.body.spec.template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]).toMatchObject({
      image: 'nginx:1.27',
      env: [{ name: 'FOO', value: 'bar' }],
    });
    expect(containers[1].image).toBe('busybox:1.36');
    expect(containers[1].env).toBeUndefined();

    const removed = await client.patch(
      path,
      {
        spec: {
          template: {
            spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] },
          },
        },
      },
      smp,
    );
    expect(removed.status).toBe(200);
    expect(
      removed.body.spec.template.spec.containers.map((c: any) => c.name),
    ).toEqual(['app']);
    expect(removed.body.spec.template.spec.containers[0].env).toEqual([
      { name: 'FOO', value: 'bar' },
    ]);
  });

  it('answers 415 for an unsupported patch content type', async () => {
    const ns = await testNamespace();
    await client.post(core(ns, 'configmaps'), configMap('typed'));
    const res = await client.patch(
      core(ns, 'configmaps', 'typed'),
      { data: { key: 'x' } },
      'application/json',
    );
    expectStatus(res, 415, 'UnsupportedMediaType');
    expect(
      (await client.get(core(ns, 'configmaps', 'typed'))).body.data,
    ).toEqual({
      key: 'value',
    });
  });

  it('answers 404 for a patch of a missing object', async () => {
    const ns = await testNamespace();
    const res = await client.mergePatch(core(ns, 'configmaps', 'nothing'), {
      data: { a: 'b' },
    });
    expectStatus(res, 404, 'NotFound');
  });
});

describe('server-side apply', () => {
  const applied = (
    value: string,
    labels?: Record<string, string>,
  ) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa${
    labels
      ? `\n  labels:\n${Object.entries(labels)
          .map(([k, v]) => `    ${k}: ${v}`)
          .join('\n')}`
      : ''
  }
data:
  key: ${value}
`;

  const entryOf = (obj: any, manager: string) =>
    (obj.metadata.managedFields ?? []).find((m: any) => m.manager === manager);

  it('creates the object and records the Apply manager', async () => {
    const ns = await testNamespace();
    const res = await client.apply(
      `${core(ns, 'configmaps', 'ssa')}?fieldManager=k2`,
      applied('one', { owned: 'yes' }),
    );
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ key: 'one' });
    expect(res.body.metadata.labels).toEqual({ owned: 'yes' });
    expect(res.body.metadata.managedFields).toHaveLength(1);
    expect(entryOf(res.body, 'k2')).toMatchObject({
      manager: 'k2',
      operation: 'Apply',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:data': { 'f:key': {} },
        'f:metadata': { 'f:labels': { 'f:owned': {} } },
      },
    });
    const got = await client.get(core(ns, 'configmaps', 'ssa'));
    expect(got.body.data).toEqual({ key: 'one' });
  });

  it('reports a conflict with the owning manager, and moves ownership with force', async () => {
    const ns = await testNamespace();
    const path = core(ns, 'configmaps', 'ssa');
    expect(
      (
        await client.apply(
          `${path}?fieldManager=k2`,
          applied('one', { owned: 'yes' }),
        )
      ).status,
    ).toBe(201);

    const conflict = await client.apply(
      `${path}?fieldManager=other`,
      applied('two'),
    );
    expectStatus(conflict, 409, 'Conflict');
    expect(conflict.body.message).toContain('"k2"');
    expect(conflict.body.message).toContain('.data.key');
    expect((await client.get(path)).body.data).toEqual({ key: 'one' });

    // The same value is no conflict: the field is then shared.
    const shared = await client.apply(
      `${path}?fieldManager=third`,
      applied('one'),
    );
    expect(shared.status).toBe(200);

    const forced = await client.apply(
      `${path}?fieldManager=other&force=true`,
      applied('two'),
    );
    expect(forced.status).toBe(200);
    expect(forced.body.data).toEqual({ key: 'two' });
    expect(forced.body.metadata.labels).toEqual({ owned: 'yes' });
    expect(entryOf(forced.body, 'other')).toMatchObject({
      operation: 'Apply',
      fieldsV1: { 'f:data': { 'f:key': {} } },
    });
    const k2 = entryOf(forced.body, 'k2');
    expect(k2.fieldsV1['f:data']).toBeUndefined();
    expect(k2.fieldsV1['f:metadata']).toEqual({
      'f:labels': { 'f:owned': {} },
    });
    expect(entryOf(forced.body, 'third')?.fieldsV1?.['f:data']).toBeUndefined();

    // Now k2 is the one in conflict.
    const back = await client.apply(
      `${path}?fieldManager=k2`,
      applied('one', { owned: 'yes' }),
    );
    expectStatus(back, 409, 'Conflict');
    expect(back.body.message).toContain('"other"');
  });

  it('removes a field the manager no longer applies', async () => {
    const ns = await testNamespace();
    const path = core(ns, 'configmaps', 'ssa');
    await client.apply(
      `${path}?fieldManager=k2`,
      applied('one', { owned: 'yes', kept: 'yes' }),
    );
    const res = await client.apply(
      `${path}?fieldManager=k2`,
      applied('one', { kept: 'yes' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ kept: 'yes' });
    expect(entryOf(res.body, 'k2').fieldsV1['f:metadata']).toEqual({
      'f:labels': { 'f:kept': {} },
    });
    expect((await client.get(path)).body.metadata.labels).toEqual({
      kept: 'yes',
    });
  });

  it('keeps a field another manager also owns when the applier drops it', async () => {
    const ns = await testNamespace();
    const path = core(ns, 'configmaps', 'ssa');
    await client.apply(
      `${path}?fieldManager=k2`,
      applied('one', { owned: 'yes' }),
    );
    await client.apply(
      `${path}?fieldManager=peer`,
      applied('one', { owned: 'yes' }),
    );
    const res = await client.apply(`${path}?fieldManager=k2`, applied('one'));
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ owned: 'yes' });
  });

  it('answers 400 for an apply without fieldManager', async () => {
    const ns = await testNamespace();
    const res = await client.apply(
      core(ns, 'configmaps', 'ssa'),
      applied('one'),
    );
    expectStatus(res, 400, 'BadRequest');
    expect((await client.get(core(ns, 'configmaps', 'ssa'))).status).toBe(404);
  });
});

describe('delete', () => {
  it('answers a Success Status and the object is gone', async () => {
    const ns = await testNamespace();
    const created = (
      await client.post(core(ns, 'configmaps'), configMap('bye'))
    ).body;
    const res = await client.delete(core(ns, 'configmaps', 'bye'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Success',
      details: { name: 'bye', kind: 'configmaps', uid: created.metadata.uid },
    });
    expectStatus(
      await client.get(core(ns, 'configmaps', 'bye')),
      404,
      'NotFound',
    );
    expectStatus(
      await client.delete(core(ns, 'configmaps', 'bye')),
      404,
      'NotFound',
    );
  });

  it('answers 409 when a resourceVersion precondition is stale', async () => {
    const ns = await testNamespace();
    const created = (
      await client.post(core(ns, 'configmaps'), configMap('pre'))
    ).body;
    const path = core(ns, 'configmaps', 'pre');
    const updated = (await client.mergePatch(path, { data: { key: 'v2' } }))
      .body;

    const stale = await client.delete(path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { resourceVersion: created.metadata.resourceVersion },
    });
    expectStatus(stale, 409, 'Conflict');
    expect((await client.get(path)).status).toBe(200);

    const current = await client.delete(path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: {
        resourceVersion: updated.metadata.resourceVersion,
        uid: created.metadata.uid,
      },
    });
    expect(current.status).toBe(200);
    expect((await client.get(path)).status).toBe(404);
  });
});

describe('garbage collection', () => {
  async function runningDeployment(ns: string, name: string, replicas: number) {
    const res = await client.post(
      apps(ns, 'deployments'),
      deployment(name, { replicas }),
    );
    expect(res.status).toBe(201);
    await poll(`${replicas} pods of ${name}`, async () => {
      const pods = await podsOf(ns, name);
      return (
        pods.length === replicas &&
        pods.every(p => p.status?.phase === 'Running')
      );
    });
    return res.body;
  }

  it('deletes the ReplicaSet and pods of a Deployment deleted in the background', async () => {
    const ns = await testNamespace();
    await runningDeployment(ns, 'bg', 2);
    const [rs] = await replicaSetsOf(ns, 'bg');
    expect(rs.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'bg',
        controller: true,
      }),
    ]);
    const pods = await podsOf(ns, 'bg');
    expect(
      pods.every(p => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid),
    ).toBe(true);

    const res = await client.delete(apps(ns, 'deployments', 'bg'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Success' });
    await poll('the ReplicaSet and pods of bg to be deleted', async () => {
      const left = [
        ...(await replicaSetsOf(ns, 'bg')),
        ...(await podsOf(ns, 'bg')),
      ];
      return left.length === 0;
    });
    expect((await client.get(apps(ns, 'deployments', 'bg'))).status).toBe(404);
  });

  it('keeps the ReplicaSet, without owner, when the Deployment is deleted with Orphan', async () => {
    const ns = await testNamespace();
    await runningDeployment(ns, 'orphan', 1);
    const [rs] = await replicaSetsOf(ns, 'orphan');

    const res = await client.delete(
      `${apps(ns, 'deployments', 'orphan')}?propagationPolicy=Orphan`,
    );
    expect(res.status).toBe(200);
    await poll(
      'the Deployment orphan to be gone',
      async () =>
        (await client.get(apps(ns, 'deployments', 'orphan'))).status === 404,
    );
    const kept = await poll(
      'the orphaned ReplicaSet to lose its owner',
      async () => {
        const got = await client.get(apps(ns, 'replicasets', rs.metadata.name));
        return got.status === 200 && !got.body.metadata.ownerReferences?.length
          ? got.body
          : undefined;
      },
    );
    expect(kept.metadata.uid).toBe(rs.metadata.uid);
    expect(await podsOf(ns, 'orphan')).toHaveLength(1);
  });

  it('keeps a Deployment deleted in the Foreground until its dependents are gone', async () => {
    const ns = await testNamespace();
    const dep = await runningDeployment(ns, 'fg', 1);
    // A dependent that a finalizer holds back, so the wait is observable.
    const holder = await client.post(
      core(ns, 'configmaps'),
      configMap('holder', {
        metadata: {
          finalizers: ['example.com/hold'],
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: 'fg',
              uid: dep.metadata.uid,
              blockOwnerDeletion: true,
            },
          ],
        },
      }),
    );
    expect(holder.status).toBe(201);

    const res = await client.delete(apps(ns, 'deployments', 'fg'), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Foreground',
    });
    expect(res.body.kind).toBe('Deployment');
    expect(res.body.metadata.deletionTimestamp).toBeDefined();
    expect(res.body.metadata.finalizers).toContain('foregroundDeletion');

    await poll('the dependents of fg to be deleted', async () => {
      const cm = await client.get(core(ns, 'configmaps', 'holder'));
      const rest = [
        ...(await replicaSetsOf(ns, 'fg')),
        ...(await podsOf(ns, 'fg')),
      ];
      return cm.body.metadata?.deletionTimestamp && rest.length === 0;
    });
    const waiting = await client.get(apps(ns, 'deployments', 'fg'));
    expect(waiting.status).toBe(200);
    expect(waiting.body.metadata.deletionTimestamp).toBeDefined();
    expect(waiting.body.metadata.finalizers).toContain('foregroundDeletion');

    await client.mergePatch(core(ns, 'configmaps', 'holder'), {
      metadata: { finalizers: null },
    });
    await poll(
      'the Deployment fg to be gone',
      async () =>
        (await client.get(apps(ns, 'deployments', 'fg'))).status === 404,
    );
    expect((await client.get(core(ns, 'configmaps', 'holder'))).status).toBe(
      404,
    );
  });
});

describe('namespaces', () => {
  it('deletes a namespace', async () => {
    const ns = await createNamespace(client, 'sem-ns');
    const created = await client.get(`/api/v1/namespaces/${ns}`);
    expect(created.body.status.phase).toBe('Active');
    expect(created.body.metadata.labels['kubernetes.io/metadata.name']).toBe(
      ns,
    );
    const res = await client.delete(`/api/v1/namespaces/${ns}`);
    expect(res.body.kind).toBe('Namespace');
    await poll(
      `namespace ${ns} to be gone`,
      async () => (await client.get(`/api/v1/namespaces/${ns}`)).status === 404,
    );
  });
});

describe('scale subresource', () => {
  it('reads and patches the scale of a Deployment', async () => {
    const ns = await testNamespace();
    await client.post(
      apps(ns, 'deployments'),
      deployment('scaled', { replicas: 1 }),
    );
    const path = apps(ns, 'deployments', 'scaled');

    const scale = await client.get(`${path}/scale`);
    expect(scale.status).toBe(200);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'scaled', namespace: ns },
      spec: { replicas: 1 },
      status: { selector: 'app=scaled' },
    });

    const patched = await client.mergePatch(`${path}/scale`, {
      spec: { replicas: 5 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 5 },
    });

    const dep = await client.get(path);
    expect(dep.body.spec.replicas).toBe(5);
    expect(dep.body.metadata.generation).toBe(2);
    await poll(
      '5 pods of scaled',
      async () => (await podsOf(ns, 'scaled')).length === 5,
    );
    await poll('the scale status to report 5 replicas', async () => {
      const got = await client.get(`${path}/scale`);
      return got.body.status.replicas === 5;
    });
  });
});

describe('controllers', () => {
  function claim(name: string, storageClassName: string) {
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name },
      spec: {
        storageClassName,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    };
  }

  it('binds a claim of an existing StorageClass to a provisioned volume', async () => {
    const ns = await testNamespace();
    const created = await client.post(
      core(ns, 'persistentvolumeclaims'),
      claim('data', 'standard'),
    );
    expect(created.status).toBe(201);
    expect(created.body.status.phase).toBe('Pending');
    const bound = await poll('claim data to be Bound', async () => {
      const got = await client.get(core(ns, 'persistentvolumeclaims', 'data'));
      return got.body.status?.phase === 'Bound' ? got.body : undefined;
    });
    expect(bound.spec.volumeName).toEqual(expect.any(String));
    expect(bound.status.capacity).toEqual({ storage: '1Gi' });
    const pv = await client.get(
      `/api/v1/persistentvolumes/${bound.spec.volumeName}`,
    );
    expect(pv.status).toBe(200);
    expect(pv.body.spec.claimRef).toMatchObject({
      namespace: ns,
      name: 'data',
      uid: bound.metadata.uid,
    });
    expect(pv.body.spec.storageClassName).toBe('standard');
  });

  it('leaves a claim of an unknown StorageClass Pending with a ProvisioningFailed event', async () => {
    const ns = await testNamespace();
    await client.post(
      core(ns, 'persistentvolumeclaims'),
      claim('lost', 'nope'),
    );
    const event = await poll(
      'a ProvisioningFailed event for claim lost',
      async () => {
        const events = await client.get(
          `${core(ns, 'events')}?fieldSelector=${q(
            'involvedObject.name=lost',
          )}`,
        );
        return (events.body.items as any[]).find(
          e => e.reason === 'ProvisioningFailed',
        );
      },
    );
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: {
        kind: 'PersistentVolumeClaim',
        name: 'lost',
        namespace: ns,
      },
    });
    expect(event.message).toContain('nope');
    const got = await client.get(core(ns, 'persistentvolumeclaims', 'lost'));
    expect(got.body.status.phase).toBe('Pending');
    expect(got.body.spec.volumeName).toBeUndefined();
  });

  it('gives a Service a cluster IP and lists ready pod IPs in its Endpoints', async () => {
    const ns = await testNamespace();
    await client.post(
      apps(ns, 'deployments'),
      deployment('web', { replicas: 2 }),
    );
    const svc = await client.post(core(ns, 'services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: {
        selector: { app: 'web' },
        ports: [{ port: 80, targetPort: 8080 }],
      },
    });
    expect(svc.status).toBe(201);
    const ip = await poll(
      'the Service to get a cluster IP',
      async () =>
        (
          await client.get(core(ns, 'services', 'web'))
        ).body.spec.clusterIP,
    );
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const ready = await poll('both pods of web to be ready', async () => {
      const pods = await podsOf(ns, 'web');
      const isReady = (p: any) =>
        p.status?.conditions?.some(
          (c: any) => c.type === 'Ready' && c.status === 'True',
        );
      return pods.length === 2 && pods.every(isReady) ? pods : undefined;
    });
    const podIps = ready.map(p => p.status.podIP).sort();
    const endpoints = await poll('Endpoints listing both pod IPs', async () => {
      const got = await client.get(core(ns, 'endpoints', 'web'));
      const addresses = got.body.subsets?.[0]?.addresses ?? [];
      const ips = addresses.map((a: any) => a.ip).sort();
      return JSON.stringify(ips) === JSON.stringify(podIps)
        ? got.body
        : undefined;
    });
    expect(endpoints.subsets[0].ports).toEqual([
      expect.objectContaining({ port: 8080, protocol: 'TCP' }),
    ]);
    expect(endpoints.subsets[0].addresses[0].targetRef).toMatchObject({
      kind: 'Pod',
    });
  });
});

describe('pod logs', () => {
  it('requires a container for multi-container pods and serves tails', async () => {
    const ns = await testNamespace();
    await client.post(core(ns, 'pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two' },
      spec: {
        containers: [
          { name: 'app', image: 'nginx:1.27' },
          { name: 'sidecar', image: 'busybox:1.36' },
        ],
      },
    });
    await poll('both containers of pod two to run', async () => {
      const got = await client.get(core(ns, 'pods', 'two'));
      const statuses: any[] = got.body.status?.containerStatuses ?? [];
      return statuses.length === 2 && statuses.every(s => s.state?.running);
    });
    const logPath = core(ns, 'pods', 'two/log');

    const ambiguous = await client.get(logPath);
    expectStatus(ambiguous, 400, 'BadRequest');
    expect(ambiguous.body.message).toContain('app');
    expect(ambiguous.body.message).toContain('sidecar');

    const full = await poll('at least 4 log lines from app', async () => {
      const res = await client.get(`${logPath}?container=app`);
      return res.status === 200 &&
        res.text.split('\n').filter(Boolean).length >= 4
        ? res.text
        : undefined;
    });
    expect(typeof full).toBe('string');

    const tail = await client.get(`${logPath}?container=app&tailLines=3`);
    expect(tail.status).toBe(200);
    expect(tail.headers.get('content-type')).toContain('text/plain');
    const lines = tail.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    const after = (await client.get(`${logPath}?container=app`)).text;
    for (const line of lines) expect(after).toContain(line);

    const previous = await client.get(`${logPath}?container=app&previous=true`);
    expectStatus(previous, 400, 'BadRequest');

    const unknown = await client.get(`${logPath}?container=nope`);
    expectStatus(unknown, 400, 'BadRequest');
  });
});

/*
 * Details of a real kube-apiserver that are easy to get wrong; each was once wrong here.
 */
describe('details a real kube-apiserver gets right', () => {
  it('answers 200, not 202, to DELETEs that do not finish at once', async () => {
    const ns = await testNamespace();
    await client.post(core(ns, 'pods'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'graceful' },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    });
    await poll(
      'pod graceful to be Running',
      async () =>
        (await client.get(core(ns, 'pods', 'graceful'))).body.status?.phase ===
        'Running',
    );
    const pod = await client.delete(core(ns, 'pods', 'graceful'));
    expect(pod.body.metadata.deletionTimestamp).toBeDefined();
    expect(pod.status).toBe(200);

    await client.post(
      apps(ns, 'deployments'),
      deployment('fg200', { replicas: 1 }),
    );
    await poll(
      'the ReplicaSet of fg200',
      async () => (await replicaSetsOf(ns, 'fg200')).length > 0,
    );
    const fg = await client.delete(
      `${apps(ns, 'deployments', 'fg200')}?propagationPolicy=Foreground`,
    );
    expect(fg.body.metadata.finalizers).toContain('foregroundDeletion');
    expect(fg.status).toBe(200);

    const other = await createNamespace(client, 'sem-ns200');
    namespaces.push(other);
    const nsDelete = await client.delete(`/api/v1/namespaces/${other}`);
    expect(nsDelete.status).toBe(200);
  });

  it('keeps a deleted namespace Terminating until its contents are deleted', async () => {
    const ns = await testNamespace();
    await client.post(core(ns, 'configmaps'), configMap('plain'));
    await client.post(
      core(ns, 'configmaps'),
      configMap('held', { metadata: { finalizers: ['example.com/hold'] } }),
    );
    await client.post(
      apps(ns, 'deployments'),
      deployment('inside', { replicas: 1 }),
    );
    await poll(
      'the pod of inside',
      async () => (await podsOf(ns, 'inside')).length === 1,
    );

    const res = await client.delete(`/api/v1/namespaces/${ns}`);
    expect(res.body.metadata.deletionTimestamp).toBeDefined();
    expect(res.body.status.phase).toBe('Terminating');

    const terminating = await client.get(`/api/v1/namespaces/${ns}`);
    expect(terminating.status).toBe(200);
    expect(terminating.body.status.phase).toBe('Terminating');

    const late = await client.post(core(ns, 'configmaps'), configMap('late'));
    expectStatus(late, 403, 'Forbidden');
    expect(late.body.message).toContain('configmaps "late" is forbidden');

    await poll(
      'the namespace contents (but the held ConfigMap) to be deleted',
      async () => {
        const left = [
          ...(await client.get(core(ns, 'configmaps'))).body.items,
          ...(await client.get(apps(ns, 'deployments'))).body.items,
          ...(await client.get(apps(ns, 'replicasets'))).body.items,
          ...(await client.get(core(ns, 'pods'))).body.items,
        ];
        return left.length === 1 && left[0].metadata.name === 'held';
      },
    );
    expect((await client.get(`/api/v1/namespaces/${ns}`)).status).toBe(200);

    await client.mergePatch(core(ns, 'configmaps', 'held'), {
      metadata: { finalizers: null },
    });
    await poll(
      `namespace ${ns} to be gone`,
      async () => (await client.get(`/api/v1/namespaces/${ns}`)).status === 404,
    );
  });

  it('keeps a Deployment deleted in the Foreground until its pods are gone too', async () => {
    // Slow pod termination (3 s), so a Deployment that goes too early is visible.
    const slow = new SandboxCluster({
      name: 'slow',
      tokens: ['tok'],
      timeScale: 0.02,
      podTerminationMs: 150000,
    });
    await slow.listen(0);
    try {
      const s = api(slow);
      await s.post(
        apps('default', 'deployments'),
        deployment('fgpods', { replicas: 1 }),
      );
      await poll('the pod of fgpods to run', async () => {
        const pods = (
          await s.get(`${core('default', 'pods')}?labelSelector=app%3Dfgpods`)
        ).body.items;
        return pods.length === 1 && pods[0].status?.phase === 'Running';
      });
      await s.delete(
        `${apps(
          'default',
          'deployments',
          'fgpods',
        )}?propagationPolicy=Foreground`,
      );
      const early: string[] = [];
      await poll('the pods of fgpods to be gone', async () => {
        const pods = (
          await s.get(`${core('default', 'pods')}?labelSelector=app%3Dfgpods`)
        ).body.items;
        const dep = await s.get(apps('default', 'deployments', 'fgpods'));
        if (pods.length > 0 && dep.status === 404) {
          for (const p of pods) {
            if (!early.includes(p.metadata.name)) early.push(p.metadata.name);
          }
        }
        return pods.length === 0;
      });
      expect(early).toEqual([]);
    } finally {
      await slow.stop();
    }
  });

  it('keeps the resourceVersion on a no-op patch or update', async () => {
    const ns = await testNamespace();
    const created = (
      await client.post(core(ns, 'configmaps'), configMap('same'))
    ).body;
    const path = core(ns, 'configmaps', 'same');
    const patched = await client.mergePatch(path, {});
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );
    const put = await client.put(path, (await client.get(path)).body);
    expect(put.status).toBe(200);
    expect(put.body.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );
  });

  it('answers 404 to a PUT of a ConfigMap that does not exist', async () => {
    const ns = await testNamespace();
    const res = await client.put(
      core(ns, 'configmaps', 'absent'),
      configMap('absent'),
    );
    expectStatus(res, 404, 'NotFound');
    expect((await client.get(core(ns, 'configmaps', 'absent'))).status).toBe(
      404,
    );
  });

  it('allocates the cluster IP in the Service create itself', async () => {
    const ns = await testNamespace();
    const res = await client.post(core(ns, 'services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'direct' },
      spec: { selector: { app: 'direct' }, ports: [{ port: 80 }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const got = await client.get(core(ns, 'services', 'direct'));
    expect(got.body.metadata.resourceVersion).toBe(
      res.body.metadata.resourceVersion,
    );
  });

  it('omits remainingItemCount from a paged list with a selector', async () => {
    const ns = await testNamespace();
    for (const name of ['s0', 's1', 's2']) {
      await client.post(core(ns, 'configmaps'), configMap(name));
    }
    const res = await client.get(
      `${core(ns, 'configmaps')}?limit=1&labelSelector=${q('!absent')}`,
    );
    expect(typeof res.body.metadata.continue).toBe('string');
    expect(res.body.metadata.remainingItemCount).toBeUndefined();
  });

  it("answers 409 to a PUT whose uid is not the live object's", async () => {
    const ns = await testNamespace();
    const created = (
      await client.post(core(ns, 'configmaps'), configMap('uid'))
    ).body;
    const res = await client.put(core(ns, 'configmaps', 'uid'), {
      ...created,
      metadata: {
        ...created.metadata,
        uid: '00000000-0000-0000-0000-000000000000',
      },
      data: { key: 'stale copy' },
    });
    expectStatus(res, 409, 'Conflict');
    expect(res.body.message).toContain(
      'Precondition failed: UID in precondition',
    );
  });

  it('answers 422 to adding a finalizer to an object being deleted', async () => {
    const ns = await testNamespace();
    const path = core(ns, 'configmaps', 'closing');
    await client.post(
      core(ns, 'configmaps'),
      configMap('closing', { metadata: { finalizers: ['example.com/a'] } }),
    );
    await client.delete(path);
    const res = await client.mergePatch(path, {
      metadata: { finalizers: ['example.com/a', 'example.com/b'] },
    });
    expectStatus(res, 422, 'Invalid');
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.finalizers' }),
    ]);
  });

  it('answers 422 to an invalid label key', async () => {
    const ns = await testNamespace();
    const res = await client.post(
      core(ns, 'configmaps'),
      configMap('badkey', { metadata: { labels: { 'bad key!': 'x' } } }),
    );
    expectStatus(res, 422, 'Invalid');
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.labels' }),
    ]);
  });

  it('answers 422 to a JSON patch with an unknown operation', async () => {
    const ns = await testNamespace();
    await client.post(core(ns, 'configmaps'), configMap('op'));
    const res = await client.patch(
      core(ns, 'configmaps', 'op'),
      [{ op: 'frobnicate', path: '/data/key', value: 'x' }],
      'application/json-patch+json',
    );
    expectStatus(res, 422, 'Invalid');
  });

  it('names apply conflicts by field path, and Update managers with their apiVersion', async () => {
    const ns = await testNamespace();
    const path = core(ns, 'configmaps', 'owned');
    await client.post(
      `${core(ns, 'configmaps')}?fieldManager=editor`,
      configMap('owned'),
    );
    const res = await client.apply(
      `${path}?fieldManager=k2`,
      'apiVersion: v1\nkind: ConfigMap\ndata:\n  key: other\n',
    );
    expectStatus(res, 409, 'Conflict');
    expect(res.body.message).toContain('conflict with "editor" using v1');
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({
        reason: 'FieldManagerConflict',
        field: '.data.key',
      }),
    ]);
  });
});
