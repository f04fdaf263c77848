import { K2Release, K2ServiceRuntime } from '@internal/plugin-k2-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import { JsonObject } from '@backstage/types';
import { AddressInfo } from 'net';
import request from 'supertest';
import {
  ALICE,
  as,
  BOB,
  CAROL,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const service = serviceEntity('ledger', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'finance',
  'k2.io/image': 'registry.k2.local/finance/ledger',
});
const BASE = '/api/k2-deploy/services/default/ledger';
const logsPath = (pod: string) =>
  `${BASE}/environments/test/instances/test/${pod}/logs`;

/** The sandbox writes a log line every 5 s; a live stream shows one within this. */
const NEXT_LINE_MS = 12_000;

/** A followed log over a real socket, read as it arrives. */
interface Followed {
  status: number;
  /** The error body of a refusal. */
  error?: { name: string; message: string };
  /** Complete lines received so far, with when (ms since the epoch). */
  lines: Array<{ at: number; text: string }>;
  /** Resolves when the server ends the stream ('ended') or it breaks ('closed'). */
  ended: Promise<'ended' | 'closed'>;
  /** Goes away as a browser tab does. */
  close(): void;
}

/** What `promise` gives within `ms`, else 'still open'. */
async function within<T>(promise: Promise<T>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'still open'>(resolve => {
        timer = setTimeout(resolve, ms, 'still open');
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('limits on followed logs, through the REST API, on a sandbox cluster', () => {
  let pod: string;
  const open: Followed[] = [];
  // Declared before the test bed, so it runs before the bed stops the backend.
  afterAll(() => {
    for (const f of open.splice(0)) f.close();
  });
  const bed = useK2DeployTestBed({ clusters: ['test'] });
  const cluster = bed.cluster('test');

  const start = (logs: JsonObject) =>
    bed.start({
      entities: [service],
      k2: {
        environments: [testEnvironment('test', { timeoutSeconds: 60 })],
        instances: { logs },
      },
    });

  beforeAll(async () => {
    await start({
      maxFollowsPerUser: 2,
      maxFollows: 3,
      // Long enough that no stream ends on its own during a test here.
      maxFollowDuration: { minutes: 2 },
      connectTimeout: { seconds: 1 },
    });
    const res = await request(bed.backend.server)
      .post(`${BASE}/releases`)
      .set(as(ALICE))
      .send({ environment: 'test', image: '1.0.0' });
    if (res.status !== 201) {
      throw new Error(`The release was refused: ${res.status} ${res.text}`);
    }
    const release = await poll(
      'the release finished',
      async () => {
        const r = await request(bed.backend.server)
          .get(`/api/k2-deploy/releases/${res.body.id}`)
          .set(as(ALICE));
        return ['succeeded', 'failed', 'timed-out'].includes(r.body.status)
          ? (r.body as K2Release)
          : undefined;
      },
      60_000,
    );
    if (release.status !== 'succeeded') {
      throw new Error(`The release ended ${release.status}`);
    }
    pod = await poll(
      'a ready instance',
      async () => {
        const r = await request(bed.backend.server)
          .get(`${BASE}/runtime`)
          .set(as(ALICE));
        return (
          r.body as K2ServiceRuntime
        ).environments[0]?.clusters[0]?.pods.find(p => p.ready)?.name;
      },
      20_000,
    );
  });

  afterEach(async () => {
    for (const f of open.splice(0)) f.close();
    await api(cluster).delete('/sandbox/faults');
  });

  async function follow(user: string, target = pod): Promise<Followed> {
    const { port } = bed.backend.server.address() as AddressInfo;
    const aborted = new AbortController();
    const close = () => aborted.abort();
    const res = await fetch(
      `http://127.0.0.1:${port}${logsPath(target)}?follow=true&tailLines=1`,
      { headers: as(user), signal: aborted.signal },
    );
    if (res.status !== 200) {
      const body = await res.json();
      return {
        status: res.status,
        error: body.error,
        lines: [],
        ended: Promise.resolve('ended'),
        close,
      };
    }
    const lines: Followed['lines'] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const ended = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return 'ended' as const;
          buffer += decoder.decode(value, { stream: true });
          const parts = buffer.split('\n');
          buffer = parts.pop()!;
          for (const text of parts) lines.push({ at: Date.now(), text });
        }
      } catch {
        return 'closed' as const;
      }
    })();
    const followed = { status: 200, lines, ended, close };
    open.push(followed);
    return followed;
  }

  /** Tries until a follow is allowed (a freed slot is given back as the stream closes). */
  const followOnceFreed = (user: string) =>
    poll(
      `a follow for ${user} allowed`,
      async () => {
        const f = await follow(user);
        return f.status === 200 ? f : undefined;
      },
      3_000,
    );

  it('caps follows per user and in total with 429s naming the limit; open streams keep flowing and a closed one frees its slot', async () => {
    const a1 = await follow(ALICE);
    const a2 = await follow(ALICE);
    expect([a1.status, a2.status]).toEqual([200, 200]);

    const a3 = await follow(ALICE);
    expect(a3.status).toBe(429);
    expect(a3.error).toMatchObject({
      name: 'TooManyRequestsError',
      message:
        'You are following 2 logs already, the most one user may follow at once; close one to follow another',
    });
    const refusedAt = Date.now();

    // The instance is looked up before a slot is taken: an unknown one is a 404 even
    // to a user at the cap. (A reader refused `k2.instance.logs.read` is refused at
    // the same point, but the test backend's permission stand-in allows reads to
    // everyone, so that case is not exercised here.)
    const unknown = await follow(ALICE, 'ledger-nope');
    expect(unknown.status).toBe(404);

    // The first two still deliver new lines after the refusal.
    for (const [name, f] of Object.entries({ a1, a2 })) {
      await poll(
        `a new line on alice's stream ${name}`,
        async () => f.lines.some(l => l.at > refusedAt) || undefined,
        NEXT_LINE_MS,
      );
    }

    // Another user has slots of his own, until K2's total is reached.
    const b1 = await follow(BOB);
    expect(b1.status).toBe(200);
    const b2 = await follow(BOB);
    expect(b2.status).toBe(429);
    expect(b2.error).toMatchObject({
      name: 'TooManyRequestsError',
      message:
        'K2 is following 3 logs already, the most it follows at once; try again later',
    });
    const c1 = await follow(CAROL);
    expect(c1.status).toBe(429);
    expect(c1.error?.message).toMatch(/^K2 is following 3 logs already/);

    // Closing a stream gives its slot back, to its user and to the total.
    a1.close();
    expect(await within(a1.ended, 5_000)).toBe('closed');
    const a4 = await followOnceFreed(ALICE);
    expect(a4.status).toBe(200);
    // ... and only that one: the total is full again.
    expect((await follow(BOB)).status).toBe(429);
    expect((await follow(ALICE)).status).toBe(429);
  });

  it('answers 504 naming cluster and pod when the cluster does not start the log within connectTimeout, and frees the slot', async () => {
    // The streams of the test before are given back as their sockets close; this
    // one stays open and holds one of alice's two slots.
    await followOnceFreed(ALICE);

    // Every API request of the sandbox now waits 5 s; the instance itself is read
    // from K2's cache, so only the log request waits.
    const fault = await api(cluster).post('/sandbox/faults', {
      latency: { ms: 5000, seconds: 30 },
    });
    expect(fault.status).toBeLessThan(300);
    const started = Date.now();
    const slow = await follow(ALICE);
    const took = Date.now() - started;
    expect(slow.status).toBe(504);
    expect(slow.error).toMatchObject({
      name: 'GatewayTimeoutError',
      message: `Cluster 'test' did not start the log of '${pod}' within 1s; try again`,
    });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3000);

    // The timed-out request holds no slot: alice's second one is allowed, a third
    // is not.
    await api(cluster).delete('/sandbox/faults');
    const a2 = await follow(ALICE);
    expect(a2.status).toBe(200);
    expect((await follow(ALICE)).status).toBe(429);
  });

  describe('with a short maximum follow duration', () => {
    beforeAll(async () => {
      await bed.backend.stop();
      await start({
        maxFollowsPerUser: 1,
        maxFollowDuration: { seconds: 3 },
      });
    });

    it('ends a followed log after maxFollowDuration with a last line saying so, and frees its slot', async () => {
      let started = 0;
      const f = await poll(
        'the new backend follows the log',
        async () => {
          started = Date.now();
          const r = await follow(ALICE);
          return r.status === 200 ? r : undefined;
        },
        20_000,
      );
      // The one slot is taken while it runs.
      expect((await follow(ALICE)).status).toBe(429);

      // It ends by itself, not when the test gives up on it.
      expect(await within(f.ended, 10_000)).toBe('ended');
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(2900);
      expect(took).toBeLessThan(8000);
      expect(f.lines.length).toBeGreaterThanOrEqual(2);
      expect(f.lines[f.lines.length - 1].text).toBe(
        '[K2] Stopped following after 3s, the longest K2 follows a log (k2.instances.logs.maxFollowDuration); follow again to continue.',
      );
      // The log lines before it are the container's, whole.
      expect(f.lines[0].text).not.toMatch(/^\[K2\]/);

      const again = await followOnceFreed(ALICE);
      expect(again.status).toBe(200);
    });
  });
});
