import { SandboxCluster } from '../cluster';

jest.setTimeout(30000);

describe('fault injection', () => {
  let cluster: SandboxCluster;
  const auth = { Authorization: 'Bearer fault-token' };
  const get = (path: string) =>
    fetch(`${cluster.url}${path}`, { headers: auth });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${cluster.url}/sandbox/${path}`, {
      method,
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Opens a watch and collects its events until the stream ends. */
  function watch(path: string) {
    const events: { type: string; object: any }[] = [];
    /** When each event reached the client (Date.now()), by index into events. */
    const arrivals: number[] = [];
    const controller = new AbortController();
    const ended = (async () => {
      const res = await fetch(`${cluster.url}${path}`, {
        headers: auth,
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return 'ended';
          buffer += decoder.decode(value, { stream: true });
          let i = buffer.indexOf('\n');
          while (i >= 0) {
            events.push(JSON.parse(buffer.slice(0, i)));
            arrivals.push(Date.now());
            buffer = buffer.slice(i + 1);
            i = buffer.indexOf('\n');
          }
        }
      } catch {
        return controller.signal.aborted ? 'aborted' : 'cut';
      }
    })();
    return { events, arrivals, ended, abort: () => controller.abort() };
  }

  async function until(
    what: string,
    check: () => boolean | Promise<boolean>,
    timeoutMs = 10000,
  ) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 20));
    }
  }

  /** Waits until the sandbox holds `count` open watches (a watch is registered). */
  const openWatches = (count: number) =>
    until(`${count} open watch(es)`, async () => {
      const stats = await (await admin('GET', 'stats')).json();
      return stats.openWatches === count;
    });

  /** Waits until no watch fault is active any more. */
  const watchFaultOver = () =>
    until(
      'the watch fault to end',
      async () =>
        (await (await admin('GET', 'faults')).json()).watches === null,
    );

  const createConfigMap = (name: string) =>
    fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { name }, data: { a: '1' } }),
    });

  beforeEach(async () => {
    cluster = new SandboxCluster({
      name: 'faults',
      tokens: ['fault-token'],
      timeScale: 0.05,
      bookmarkIntervalMs: 100,
    });
    await cluster.listen(0);
  });

  afterEach(async () => {
    await cluster.stop();
  });

  it('answers matching requests with the injected status for a while', async () => {
    const injectedAt = Date.now();
    const res = await admin('POST', 'faults', {
      errors: { code: 503, seconds: 1, verbs: ['list'], resources: ['pods'] },
    });
    expect(res.status).toBe(200);
    const failed = await get('/api/v1/pods');
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ kind: 'Status', code: 503 });
    // Other verbs and resources are untouched.
    expect((await get('/api/v1/namespaces/default/configmaps')).status).toBe(
      200,
    );
    expect((await get('/api/v1/namespaces/default')).status).toBe(200);
    // Until the fault's second is over.
    await until(
      'the fault to expire',
      async () => (await get('/api/v1/pods')).status === 200,
    );
    expect(Date.now() - injectedAt).toBeGreaterThanOrEqual(1000);
  });

  it('fails every n-th request when asked to', async () => {
    await admin('POST', 'faults', {
      errors: { code: 500, seconds: 5, every: 2 },
    });
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push((await get('/api/v1/namespaces')).status);
    expect(codes).toEqual([200, 500, 200, 500]);
    await admin('DELETE', 'faults');
    expect((await get('/api/v1/namespaces')).status).toBe(200);
  });

  it('adds latency to API requests', async () => {
    await admin('POST', 'faults', { latency: { ms: 300, seconds: 5 } });
    const started = Date.now();
    expect((await get('/api/v1/namespaces')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops open watches and the ones started during the fault', async () => {
    const first = watch('/api/v1/namespaces/default/configmaps?watch=true');
    await openWatches(1);
    await admin('POST', 'faults', { watches: { mode: 'drop', seconds: 2 } });
    expect(await first.ended).toMatch(/ended|cut/);
    const second = watch('/api/v1/namespaces/default/configmaps?watch=true');
    expect(await second.ended).toMatch(/ended|cut/);
  });

  it('stalls watches silently: no events, no bookmarks, connection open', async () => {
    const w = watch(
      '/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true',
    );
    await until('a bookmark', () => w.events.some(e => e.type === 'BOOKMARK'));
    await admin('POST', 'faults', { watches: { mode: 'stall', seconds: 1 } });
    const count = w.events.length;
    expect((await createConfigMap('during-stall')).status).toBe(201);
    // After the stall, later changes flow again; the missed one stays missed, as
    // with a real stalled watch (the client must notice and relist). Events arrive
    // in order, so the later one arriving without the earlier one proves the loss.
    await watchFaultOver();
    expect((await createConfigMap('after-stall')).status).toBe(201);
    await until('the next event', () =>
      w.events.some(e => e.object?.metadata?.name === 'after-stall'),
    );
    const names = w.events
      .slice(count)
      .filter(e => e.type !== 'BOOKMARK')
      .map(e => e.object?.metadata?.name);
    expect(names).toEqual(['after-stall']);
    w.abort();
  });

  it('expires watches with 410 Gone and refuses to resume from before', async () => {
    const list = await (
      await get('/api/v1/namespaces/default/configmaps')
    ).json();
    const w = watch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    await openWatches(1);
    const res = await admin('POST', 'watches/expire');
    expect(await res.json()).toMatchObject({ expired: 1 });
    expect(await w.ended).toBe('ended');
    expect(w.events.at(-1)).toMatchObject({
      type: 'ERROR',
      object: { code: 410, reason: 'Expired' },
    });
    const again = watch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    expect(await again.ended).toBe('ended');
    expect(again.events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ code: 410 }) },
    ]);
  });

  it('stops the whole API and comes back with its state', async () => {
    expect((await createConfigMap('survivor')).status).toBe(201);
    const w = watch('/api/v1/namespaces/default/configmaps?watch=true');
    await openWatches(1);
    const res = await admin('POST', 'restart', { downSeconds: 1 });
    expect(res.status).toBe(202);
    expect(await w.ended).toMatch(/ended|cut/);
    await until('the API to go down', () => !cluster.listening, 5000);
    await expect(get('/api/v1/namespaces')).rejects.toThrow();
    await until('the API to come back', () => cluster.listening, 5000);
    const back = await get('/api/v1/namespaces/default/configmaps/survivor');
    expect(back.status).toBe(200);
  });

  it('rejects malformed fault requests with 400 and changes nothing', async () => {
    for (const body of [
      {},
      { errors: { code: 200, seconds: 1 } },
      { latency: { ms: -1, seconds: 1 } },
      { watches: { mode: 'sometimes', seconds: 1 } },
      { errors: { code: 500 } },
      { blackhole: { seconds: 0 } },
      { continueTokens: { expire: 0 } },
    ]) {
      const res = await admin('POST', 'faults', body);
      expect(res.status).toBe(400);
      expect((await res.json()).message).toBeTruthy();
    }
    expect(await (await admin('GET', 'faults')).json()).toEqual({
      errors: null,
      latency: null,
      watches: null,
      blackhole: null,
      continueTokens: null,
    });
  });

  it('expires the continue token of the next paged list with 410 Expired, once', async () => {
    for (const name of ['a', 'b', 'c']) await createConfigMap(name);
    const path = '/api/v1/namespaces/default/configmaps?limit=2';
    const first = await (await get(path)).json();
    expect(first.items).toHaveLength(2);
    const token = encodeURIComponent(first.metadata.continue);

    const res = await admin('POST', 'faults', {
      continueTokens: { expire: 1 },
    });
    expect((await res.json()).continueTokens).toEqual({ expire: 1 });
    // A list without a token is not affected, and does not use the fault up.
    expect((await get(path)).status).toBe(200);
    const expired = await get(`${path}&continue=${token}`);
    expect(expired.status).toBe(410);
    expect(await expired.json()).toMatchObject({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: expect.stringContaining('continue parameter is too old'),
    });
    // As after a real compaction, a fresh list pages through to the end.
    const again = await (await get(path)).json();
    const rest = await get(
      `${path}&continue=${encodeURIComponent(again.metadata.continue)}`,
    );
    expect(rest.status).toBe(200);
    expect((await rest.json()).items.map((i: any) => i.metadata.name)).toEqual(
      expect.arrayContaining(['c']),
    );
  });

  it('black-holes matching requests: no answer at all, the connection cut when the fault ends', async () => {
    const w = watch(
      '/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true',
    );
    await until('a bookmark', () => w.events.some(e => e.type === 'BOOKMARK'));
    const res = await admin('POST', 'faults', {
      blackhole: { seconds: 1.5, resources: ['configmaps'] },
    });
    expect((await res.json()).blackhole).toMatchObject({
      seconds: 1.5,
      resources: ['configmaps'],
    });
    // A bookmark the sandbox wrote just before the fault may still be on its way to
    // the client; the silence is checked from a moment after that until the fault
    // ends (read from the sandbox itself: bookmarks resume the instant it ends, and
    // under load one arrived before the held write's cut was seen).
    await new Promise(resolve => setTimeout(resolve, 200));
    const quietFrom = Date.now();
    const quietUntil =
      quietFrom + cluster.faults.blackholeMs('watch', 'configmaps', quietFrom);
    expect(quietUntil - quietFrom).toBeGreaterThan(800);
    // A client with a deadline gets nothing before it.
    await expect(
      fetch(`${cluster.url}/api/v1/namespaces/default/configmaps`, {
        headers: auth,
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow(/timeout|aborted/i);
    // Other resources still answer.
    expect((await get('/api/v1/namespaces/default')).status).toBe(200);
    // Without a deadline, the request hangs until the fault ends and is then cut.
    const started = Date.now();
    const write = createConfigMap('into-the-void');
    await expect(write).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    // The open watch stayed silent while the fault lasted (bookmarks are due every
    // 100 ms): no events, no bookmarks; nothing was written.
    expect(
      w.events.filter(
        (_, i) => w.arrivals[i] > quietFrom && w.arrivals[i] < quietUntil,
      ),
    ).toEqual([]);
    expect(
      (await get('/api/v1/namespaces/default/configmaps/into-the-void')).status,
    ).toBe(404);
    expect((await createConfigMap('after-the-void')).status).toBe(201);
    await until('the next event', () =>
      w.events.some(e => e.object?.metadata?.name === 'after-the-void'),
    );
    w.abort();
  });

  it('counts requests by verb and resource', async () => {
    await admin('POST', 'stats/reset');
    await get('/api/v1/namespaces/default/pods');
    await get('/api/v1/namespaces/default/pods');
    await get('/apis/apps/v1/namespaces/default/deployments');
    const stats = await (await admin('GET', 'stats')).json();
    expect(stats.requests).toEqual(
      expect.arrayContaining([
        { verb: 'list', resource: 'pods', count: 2 },
        { verb: 'list', resource: 'deployments', count: 1 },
      ]),
    );
  });
});
