import { SandboxCluster } from '../cluster';
import {
  ApiClient,
  WatchEvent,
  WatchStream,
  api,
  createNamespace,
  destroyNamespace,
  readWatch,
} from '../__testUtils__/http';

/*
 * Watch semantics over HTTP: the chunked response is read line by line as a client
 * does, and every assertion is about the events (and their order) a client receives.
 */

jest.setTimeout(60000);

let cluster: SandboxCluster;
let client: ApiClient;
const namespaces: string[] = [];
const streams: WatchStream[] = [];

beforeAll(async () => {
  cluster = new SandboxCluster({
    name: 't',
    tokens: ['tok'],
    timeScale: 0.02,
    bookmarkIntervalMs: 200,
  });
  await cluster.listen(0);
  client = api(cluster);
});

afterAll(async () => {
  await cluster.stop();
});

afterEach(async () => {
  for (const stream of streams.splice(0)) await stream.close();
  for (const ns of namespaces.splice(0)) await destroyNamespace(client, ns);
});

async function testNamespace(): Promise<string> {
  const ns = await createNamespace(client, 'watch');
  namespaces.push(ns);
  return ns;
}

/** Opens a watch that is closed after the test. */
async function watch(path: string, on: SandboxCluster = cluster) {
  const stream = await readWatch(on, path);
  streams.push(stream);
  expect(stream.status).toBe(200);
  return stream;
}

const configMaps = (ns: string, name?: string) =>
  `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const q = (value: string) => encodeURIComponent(value);

async function createConfigMap(
  ns: string,
  name: string,
  labels?: Record<string, string>,
  on: ApiClient = client,
) {
  const res = await on.post(configMaps(ns), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(labels ? { labels } : {}) },
    data: { key: 'value' },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function listRv(path: string, on: ApiClient = client): Promise<string> {
  const res = await on.get(path);
  expect(res.status).toBe(200);
  return res.body.metadata.resourceVersion;
}

const summary = (events: WatchEvent[]) =>
  events.map(e => `${e.type} ${e.object?.metadata?.name ?? ''}`.trim());

/** The next event that is not a BOOKMARK. */
const nextChange = (stream: WatchStream) =>
  stream.until(e => e.type !== 'BOOKMARK');

describe('watch', () => {
  it('sends ADDED for the existing objects first when no resourceVersion is given', async () => {
    const ns = await testNamespace();
    await createConfigMap(ns, 'alpha');
    await createConfigMap(ns, 'beta');

    const stream = await watch(`${configMaps(ns)}?watch=true`);
    const initial = await stream.take(2);
    expect(summary(initial)).toEqual(['ADDED alpha', 'ADDED beta']);
    expect(initial[0].object).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns },
      data: { key: 'value' },
    });

    // Changes in another namespace are not delivered; this one's are.
    const other = await testNamespace();
    await createConfigMap(other, 'elsewhere');
    await createConfigMap(ns, 'gamma');
    expect(summary([await stream.next()] as WatchEvent[])).toEqual([
      'ADDED gamma',
    ]);
  });

  it('sends only the later changes, in order, from a list resourceVersion', async () => {
    const ns = await testNamespace();
    await createConfigMap(ns, 'old');
    const rv = await listRv(configMaps(ns));

    const stream = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}`,
    );
    const created = await createConfigMap(ns, 'new');
    const patched = await client.mergePatch(configMaps(ns, 'new'), {
      data: { key: 'changed' },
    });
    expect(patched.status).toBe(200);
    expect((await client.delete(configMaps(ns, 'new'))).status).toBe(200);
    const oldPatched = await client.mergePatch(configMaps(ns, 'old'), {
      data: { key: 'touched' },
    });

    const events = await stream.take(4);
    expect(summary(events)).toEqual([
      'ADDED new',
      'MODIFIED new',
      'DELETED new',
      'MODIFIED old',
    ]);
    const rvs = events.map(e => Number(e.object.metadata.resourceVersion));
    expect(rvs[0]).toBeGreaterThan(Number(rv));
    for (let i = 1; i < rvs.length; i++) {
      expect(rvs[i]).toBeGreaterThan(rvs[i - 1]);
    }
    expect(events[0].object.metadata.resourceVersion).toBe(
      created.metadata.resourceVersion,
    );
    expect(events[1].object.metadata.resourceVersion).toBe(
      patched.body.metadata.resourceVersion,
    );
    expect(events[1].object.data).toEqual({ key: 'changed' });
    expect(events[2].object.metadata.uid).toBe(created.metadata.uid);
    expect(events[3].object.metadata.resourceVersion).toBe(
      oldPatched.body.metadata.resourceVersion,
    );
  });

  it('replays changes made between the list and the start of the watch', async () => {
    const ns = await testNamespace();
    const rv = await listRv(configMaps(ns));
    await createConfigMap(ns, 'early');
    await client.mergePatch(configMaps(ns, 'early'), { data: { key: 'v2' } });

    const stream = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}`,
    );
    expect(summary(await stream.take(2))).toEqual([
      'ADDED early',
      'MODIFIED early',
    ]);
  });

  it('sends DELETED and ADDED as objects stop and start matching a label selector', async () => {
    const ns = await testNamespace();
    await createConfigMap(ns, 'flip', { tier: 'back' });
    const selector = `labelSelector=${q('tier=web')}`;
    const listed = await client.get(`${configMaps(ns)}?${selector}`);
    expect(listed.body.items).toEqual([]);

    const stream = await watch(
      `${configMaps(ns)}?watch=true&${selector}&resourceVersion=${
        listed.body.metadata.resourceVersion
      }`,
    );
    const label = (tier: string) =>
      client.mergePatch(configMaps(ns, 'flip'), {
        metadata: { labels: { tier } },
      });
    await label('web');
    await client.mergePatch(configMaps(ns, 'flip'), { data: { key: 'v2' } });
    await label('back');
    await client.mergePatch(configMaps(ns, 'flip'), { data: { key: 'v3' } });
    await createConfigMap(ns, 'never', { tier: 'back' });
    await createConfigMap(ns, 'match', { tier: 'web' });

    const events = await stream.take(4);
    expect(summary(events)).toEqual([
      'ADDED flip',
      'MODIFIED flip',
      'DELETED flip',
      'ADDED match',
    ]);
    expect(events[0].object.metadata.labels).toEqual({ tier: 'web' });
    // The DELETED event carries the object as it is now: no longer matching.
    expect(events[2].object.metadata.labels).toEqual({ tier: 'back' });
  });

  it('filters a watch by metadata.name', async () => {
    const ns = await testNamespace();
    const rv = await listRv(configMaps(ns));
    const stream = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}&fieldSelector=${q(
        'metadata.name=chosen',
      )}`,
    );
    await createConfigMap(ns, 'ignored');
    await createConfigMap(ns, 'chosen');
    await client.mergePatch(configMaps(ns, 'ignored'), { data: { key: 'x' } });
    await client.mergePatch(configMaps(ns, 'chosen'), { data: { key: 'x' } });
    expect(summary(await stream.take(2))).toEqual([
      'ADDED chosen',
      'MODIFIED chosen',
    ]);
  });

  it('sends BOOKMARK events only to watches that allow them', async () => {
    const ns = await testNamespace();
    const rv = await listRv(configMaps(ns));
    const plain = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}`,
    );
    const withBookmarks = await watch(
      `${configMaps(
        ns,
      )}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );

    const first = await withBookmarks.next();
    expect(first?.type).toBe('BOOKMARK');
    expect(first?.object).toMatchObject({
      kind: 'ConfigMap',
      apiVersion: 'v1',
    });
    expect(
      Number(first?.object.metadata.resourceVersion),
    ).toBeGreaterThanOrEqual(Number(rv));
    const second = await withBookmarks.next();
    expect(second?.type).toBe('BOOKMARK');
    expect(
      Number(second?.object.metadata.resourceVersion),
    ).toBeGreaterThanOrEqual(Number(first?.object.metadata.resourceVersion));

    // The plain watch has been open as long; its next event is the change itself.
    await createConfigMap(ns, 'after');
    expect(summary([(await plain.next())!])).toEqual(['ADDED after']);
    expect(summary([await nextChange(withBookmarks)])).toEqual(['ADDED after']);
  });

  it('sends the initial events then a BOOKMARK marking their end (sendInitialEvents)', async () => {
    const ns = await testNamespace();
    const a = await createConfigMap(ns, 'a');
    const b = await createConfigMap(ns, 'b');
    const stream = await watch(
      `${configMaps(
        ns,
      )}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
    );
    const [first, second, end] = await stream.take(3);
    expect(summary([first, second])).toEqual(['ADDED a', 'ADDED b']);
    expect(end.type).toBe('BOOKMARK');
    expect(end.object.metadata.annotations).toEqual({
      'k8s.io/initial-events-end': 'true',
    });
    expect(Number(end.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Math.max(
        Number(a.metadata.resourceVersion),
        Number(b.metadata.resourceVersion),
      ),
    );

    await createConfigMap(ns, 'c');
    expect(summary([await nextChange(stream)])).toEqual(['ADDED c']);
  });

  it('ends the stream after timeoutSeconds', async () => {
    const ns = await testNamespace();
    const rv = await listRv(configMaps(ns));
    const stream = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    const rest = await stream.drain(10000);
    expect(rest).toEqual([]);
    expect(stream.ended).toBe(true);
  });

  it('answers 401 to a watch without a token', async () => {
    const res = await client.get('/api/v1/configmaps?watch=true', {
      token: null,
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
  });
});

describe('watch expiry', () => {
  it('sends ERROR 410 and ends open watches when the sandbox expires them', async () => {
    const ns = await testNamespace();
    const rv = await listRv(configMaps(ns));
    const stream = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}`,
    );
    await createConfigMap(ns, 'before-expiry');
    expect(summary([(await stream.next())!])).toEqual(['ADDED before-expiry']);

    const res = await client.post('/sandbox/watches/expire', {});
    expect(res.status).toBe(200);
    const error = await stream.next();
    expect(error?.type).toBe('ERROR');
    expect(error?.object).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
    });
    expect(await stream.drain()).toEqual([]);

    // Resuming from the old resourceVersion is now too old as well.
    const resumed = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${rv}`,
    );
    const again = await resumed.next();
    expect(again?.type).toBe('ERROR');
    expect(again?.object).toMatchObject({ code: 410, reason: 'Expired' });
    expect(await resumed.drain()).toEqual([]);

    // A fresh list and watch work again.
    const fresh = await listRv(configMaps(ns));
    const restarted = await watch(
      `${configMaps(ns)}?watch=true&resourceVersion=${fresh}`,
    );
    await createConfigMap(ns, 'after-expiry');
    expect(summary([(await restarted.next())!])).toEqual([
      'ADDED after-expiry',
    ]);
  });

  it('sends ERROR 410 to a watch from a resourceVersion older than the change log', async () => {
    const small = new SandboxCluster({
      name: 'small',
      tokens: ['tok'],
      timeScale: 0.02,
      watchLogSize: 10,
    });
    await small.listen(0);
    try {
      const smallClient = api(small);
      const rv = await listRv(configMaps('default'), smallClient);
      for (let i = 0; i < 25; i++) {
        await createConfigMap('default', `churn-${i}`, undefined, smallClient);
      }

      const stale = await watch(
        `${configMaps('default')}?watch=true&resourceVersion=${rv}`,
        small,
      );
      const error = await stale.next();
      expect(error?.type).toBe('ERROR');
      expect(error?.object).toMatchObject({
        kind: 'Status',
        code: 410,
        reason: 'Expired',
      });
      expect(await stale.drain()).toEqual([]);
      expect(stale.ended).toBe(true);

      const current = await listRv(configMaps('default'), smallClient);
      const fresh = await watch(
        `${configMaps('default')}?watch=true&resourceVersion=${current}`,
        small,
      );
      await createConfigMap('default', 'latest', undefined, smallClient);
      expect(summary([(await fresh.next())!])).toEqual(['ADDED latest']);
    } finally {
      for (const stream of streams.splice(0)) await stream.close();
      await small.stop();
    }
  });
});
