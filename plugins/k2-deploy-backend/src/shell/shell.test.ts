import { K2ShellTicket } from '@internal/plugin-k2-deploy-common';
import { api, poll } from '@internal/sandbox-cluster/testUtils';
import request from 'supertest';
import WebSocket from 'ws';
import {
  ALICE,
  as,
  BOB,
  DAVE,
  ERIN,
  serviceEntity,
  testEnvironment,
  useK2DeployTestBed,
} from '../__testUtils__/testBackend';
import type { K2DeployTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

/*
 * The web shell and debug containers end to end: the REST API and real WebSocket
 * clients on a test backend with K2's real policy, against sandbox clusters (`test`,
 * and `prod`, a production environment).
 */

const service = (name: string, image: string) =>
  serviceEntity(name, {
    'k2.io/environments': 'test,prod',
    'k2.io/namespace': 'finance',
    'k2.io/image': image,
  });
// Service images pushed to a registry run as uid 1000 in the sandbox; busybox as root.
const ledger = service('ledger', 'registry.k2.local/finance/ledger');
const toolbox = service('toolbox', 'registry.k2.local/tools/busybox');
const slim = service('slim', 'registry.k2.local/finance/slim');
const crashy = service('crashy', 'registry.k2.local/finance/crashy');
const stuck = service('stuck', 'registry.k2.local/finance/stuck');

const shellConfig = (timers: object = {}) => ({
  maxSessionsPerUser: 2,
  maxSessions: 3,
  debugImages: [
    { name: 'busybox', image: 'busybox:1.36', description: 'BusyBox' },
  ],
  environments: {
    test: { shell: true, debug: true, allowRoot: false, debugUser: 1000 },
    prod: { shell: false, debug: false },
  },
  ...timers,
});
const k2 = (timers: object = {}) => ({
  environments: [
    testEnvironment('test', { replicas: 2, timeoutSeconds: 60 }),
    testEnvironment('prod', { production: true }),
  ],
  shell: shellConfig(timers),
});
const entities = [ledger, toolbox, slim, crashy, stuck];

const bed = useK2DeployTestBed({
  clusters: ['test', 'prod'],
  backend: { entities, k2: k2() },
});
const server = () => request(bed.backend.server);
const services = '/api/k2-deploy/services/default';
const instance = (name: string, pod: string, env = 'test') =>
  `${services}/${name}/environments/${env}/instances/${env}/${pod}`;

/**
 * Releases `image` of a service to test and waits for its pods: running, or (a
 * crash-looping image) only there.
 */
async function release(
  name: string,
  image: string,
  wait: 'running' | 'listed' = 'running',
): Promise<string[]> {
  const res = await server()
    .post(`${services}/${name}/releases`)
    .set(as(ALICE))
    .send({ environment: 'test', image });
  expect(res.status).toBe(201);
  return podsOf(name, wait);
}

/** The service's pods in test once one is listed (and running, unless `listed`). */
function podsOf(
  name: string,
  wait: 'running' | 'listed' = 'running',
): Promise<string[]> {
  return poll(
    `pods of ${name}`,
    async () => {
      const runtime = await server()
        .get(`${services}/${name}/runtime`)
        .set(as(ALICE));
      const pods: any[] =
        runtime.body.environments?.find((e: any) => e.name === 'test')
          ?.clusters?.[0]?.pods ?? [];
      const running = pods.filter(
        p =>
          !p.terminating &&
          (p.containerStatuses ?? []).length > 0 &&
          p.containerStatuses.every((c: any) => c.state === 'running'),
      );
      const ready = wait === 'running' ? running : pods;
      return ready.length >= 1 ? ready.map(p => p.name as string) : undefined;
    },
    60_000,
  );
}

/** A browser's terminal: a WebSocket to the session, its output and its end. */
function terminal(
  ticket: K2ShellTicket,
  offered?: string[],
  port = bed.backend.server.port(),
) {
  const url = `ws://127.0.0.1:${port}/api/k2-deploy${ticket.path}`;
  const ws = new WebSocket(
    url,
    offered ?? ['k2-shell.v1', `k2-ticket.${ticket.ticket}`],
  );
  let output = '';
  let end: { reason: string; message: string } | undefined;
  const closed = new Promise<number>(resolve =>
    ws.on('close', code => resolve(code)),
  );
  ws.on('error', () => undefined);
  ws.on('message', data => {
    const frame = JSON.parse(data.toString());
    if (frame.t === 'o') output += frame.d;
    if (frame.t === 'end')
      end = { reason: frame.reason, message: frame.message };
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`HTTP ${res.statusCode}`)),
    );
  });
  return {
    ws,
    opened,
    output: () => output,
    /** The output once it shows `text`. */
    shows: (text: string) =>
      poll(`the terminal to show ${JSON.stringify(text)}`, () => {
        if (output.includes(text)) return output;
        if (end) {
          throw new Error(
            `the session ended (${end.reason}: ${
              end.message
            }) with output ${JSON.stringify(output)}`,
          );
        }
        return undefined;
      }),
    type: (text: string) => ws.send(JSON.stringify({ t: 'i', d: text })),
    /** The `end` frame and the close code. */
    ended: async () => {
      const code = await closed;
      return { ...end, code };
    },
  };
}

async function openShell(
  user: string,
  name: string,
  pod: string,
  body: object,
  env = 'test',
) {
  return server()
    .post(`${instance(name, pod, env)}/shell`)
    .set(as(user))
    .send(body);
}

async function activityOf(name: string) {
  const res = await server()
    .get(`/api/k2/services/default/${name}/activity?limit=100`)
    .set(as(BOB));
  expect(res.status).toBe(200);
  return res.body.items as Array<Record<string, any>>;
}

/** Ends the sessions earlier tests left open, so they do not count towards the limits. */
async function endEarlierSessions() {
  await bed
    .knex('k2_shell_sessions')
    .whereNull('ended_at')
    .update({ ended_at: new Date().toISOString(), end_reason: 'closed' });
}

let ledgerPods: string[];
let toolboxPod: string;

beforeAll(async () => {
  [ledgerPods, [toolboxPod]] = await Promise.all([
    release('ledger', '1.0.0'),
    release('toolbox', '1.36'),
  ]);
});

describe('a web shell', () => {
  it('answers the policy per caller and environment', async () => {
    const policy = (user: string, env: string) =>
      server()
        .get(`${services}/ledger/environments/${env}/shell`)
        .set(as(user));
    const alice = await policy(ALICE, 'test');
    expect(alice.status).toBe(200);
    expect(alice.body).toEqual({
      shell: { allowed: true },
      debug: { allowed: true },
      debugImages: [
        { name: 'busybox', image: 'busybox:1.36', description: 'BusyBox' },
      ],
      idleTimeoutSeconds: 900,
      maxDurationSeconds: 7200,
    });
    const bob = await policy(BOB, 'test');
    expect(bob.body.shell).toEqual({
      allowed: false,
      reason:
        'Only the owners of component:default/ledger may open shells in its instances.',
    });
    expect(bob.body.debugImages).toEqual([]);
    // A platform admin who does not own the service gets no shell either.
    expect((await policy(DAVE, 'test')).body.shell.allowed).toBe(false);
    const prod = await policy(ALICE, 'prod');
    expect(prod.body).toMatchObject({
      shell: { allowed: false, reason: 'Shells are turned off in prod.' },
      debug: {
        allowed: false,
        reason: 'Debug containers are turned off in prod.',
      },
      debugImages: [],
    });
  });

  it('lets alice run ls and env, ends with exit, and records the session with its commands', async () => {
    const pod = ledgerPods[0];
    const res = await openShell(ALICE, 'ledger', pod, {
      container: 'ledger',
      cols: 120,
      rows: 30,
    });
    expect(res.status).toBe(201);
    const ticket: K2ShellTicket = res.body;
    expect(ticket).toEqual({
      sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
      path: `/shell-sessions/${ticket.sessionId}/stream`,
      container: 'ledger',
    });
    const term = terminal(ticket);
    await term.opened;
    expect(term.ws.protocol).toBe('k2-shell.v1');
    await term.shows('$ ');
    term.type('ls /app\r');
    await term.shows('VERSION');
    term.type('env\r');
    await term.shows(`HOSTNAME=${pod}`);
    term.type('exit\r');
    expect(await term.ended()).toEqual({
      reason: 'exit',
      message: 'Session ended (exit code 0).',
      code: 1000,
    });

    // The ticket is used: a second WebSocket with it is refused before the upgrade.
    await expect(terminal(ticket).opened).rejects.toThrow('HTTP 401');

    const entries = await poll('the session in the activity log', async () => {
      const items = await activityOf('ledger');
      return items.some(i => i.action === 'instance-shell-session')
        ? items
        : undefined;
    });
    expect(entries.find(i => i.action === 'instance-shell')).toMatchObject({
      actor: ALICE,
      environment: 'test',
      summary: `Opened a shell in ${pod}/ledger`,
      result: 'succeeded',
    });
    expect(
      entries.find(i => i.action === 'instance-shell-session'),
    ).toMatchObject({
      actor: ALICE,
      summary: expect.stringMatching(
        new RegExp(
          `^Shell session in ${pod}/ledger ended \\(exit\\) after \\d+ seconds?: 3 commands: ls /app; env; exit$`,
        ),
      ),
    });

    // Admins read the sessions; alice may not.
    const sessions = await server()
      .get('/api/k2-deploy/shell-sessions')
      .query({ service: 'component:default/ledger' })
      .set(as(DAVE));
    expect(sessions.body).toEqual({ items: expect.any(Array) });
    expect(sessions.body.items[0]).toMatchObject({
      id: ticket.sessionId,
      service: 'component:default/ledger',
      environment: 'test',
      cluster: 'test',
      namespace: 'finance',
      pod,
      container: 'ledger',
      kind: 'shell',
      user: ALICE,
      endReason: 'exit',
      commands: [
        { at: expect.any(String), line: 'ls /app' },
        { at: expect.any(String), line: 'env' },
        { at: expect.any(String), line: 'exit' },
      ],
    });
    const refused = await server()
      .get('/api/k2-deploy/shell-sessions')
      .set(as(ALICE));
    expect(refused.status).toBe(403);
  });

  it('refuses another team, production, another service’s pod, a wrong container and absurd sizes', async () => {
    const pod = ledgerPods[0];
    const before = await bed.knex('k2_shell_sessions').count({ n: '*' });
    const bob = await openShell(BOB, 'ledger', pod, { container: 'ledger' });
    expect(bob.status).toBe(403);
    expect(bob.body.error.message).toBe(
      'You may not open shells in the instances of component:default/ledger',
    );
    const prod = await openShell(
      ALICE,
      'ledger',
      'ledger-x',
      { container: 'ledger' },
      'prod',
    );
    expect(prod.status).toBe(403);
    expect(prod.body.error.message).toBe('Shells are turned off in prod');
    const other = await openShell(ALICE, 'ledger', toolboxPod, {
      container: 'ledger',
    });
    expect(other.status).toBe(404);
    expect(other.body.error.message).toBe(
      `No instance '${toolboxPod}' of component:default/ledger in cluster 'test'`,
    );
    const wrong = await openShell(ALICE, 'ledger', pod, { container: 'nope' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toBe(
      `${pod} has no container 'nope'; its containers: ledger`,
    );
    const huge = await openShell(ALICE, 'ledger', pod, {
      container: 'ledger',
      cols: 9999,
      rows: 30,
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error.message).toMatch(/cols/);
    const unknownImage = await server()
      .post(`${instance('ledger', pod)}/debug`)
      .set(as(ALICE))
      .send({ image: 'kali', target: 'ledger' });
    expect(unknownImage.status).toBe(400);
    expect(unknownImage.body.error.message).toBe(
      "'kali' is not an approved debug image; approved: busybox",
    );
    // Nothing was opened, and the refusals are in the log.
    expect(await bed.knex('k2_shell_sessions').count({ n: '*' })).toEqual(
      before,
    );
    const entries = await activityOf('ledger');
    expect(
      entries.filter(
        i => i.action === 'instance-shell' && i.result === 'failed',
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: BOB,
          summary:
            'Refused: You may not open shells in the instances of component:default/ledger',
        }),
      ]),
    );
  });

  it('refuses a root container where shells run as non-root (409)', async () => {
    const res = await openShell(ALICE, 'toolbox', toolboxPod, {
      container: 'toolbox',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      'toolbox runs as root; shells in test run as non-root only. Start a debug container instead.',
    );
  });

  it('refuses a container that is not running (409), suggesting a debug container', async () => {
    const [pod] = await release('stuck', '1.0-pullerror', 'listed');
    const res = await openShell(ALICE, 'stuck', pod, { container: 'stuck' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      new RegExp(
        `^stuck in ${pod} is not running \\(waiting: \\w+.*\\); start a debug container to look inside the pod$`,
      ),
    );
  });

  it('refuses a ticket of another session, an expired one, and a WebSocket without one (401)', async () => {
    const open = () =>
      openShell(ALICE, 'ledger', ledgerPods[0], { container: 'ledger' });
    const a: K2ShellTicket = (await open()).body;
    const b: K2ShellTicket = (await open()).body;
    // b's ticket on a's session.
    await expect(terminal({ ...a, ticket: b.ticket }).opened).rejects.toThrow(
      'HTTP 401',
    );
    await expect(terminal(a, ['k2-shell.v1']).opened).rejects.toThrow(
      'HTTP 401',
    );
    // Expired: the ticket was issued more than 30 s ago.
    await bed
      .knex('k2_shell_sessions')
      .where({ id: b.sessionId })
      .update({ ticket_expires_at: new Date(Date.now() - 1000).toISOString() });
    await expect(terminal(b).opened).rejects.toThrow('HTTP 401');
    // a's own ticket still works, once; the browser closing it ends it as closed.
    const term = terminal(a);
    await term.opened;
    await term.shows('$ ');
    term.ws.close(1000);
    await poll('the session ended as closed', async () => {
      const row = await bed
        .knex('k2_shell_sessions')
        .where({ id: a.sessionId })
        .first();
      return row.end_reason === 'closed' ? row : undefined;
    });
    // b's expired ticket no longer counts towards the limits: it ended as lost.
    await open().then(r => expect(r.status).toBe(201));
    const rows = await bed
      .knex('k2_shell_sessions')
      .whereIn('id', [a.sessionId, b.sessionId])
      .orderBy('end_reason');
    // Neither record keeps its ticket.
    expect(rows.map(r => [r.end_reason, r.ticket_hash])).toEqual([
      ['closed', null],
      ['lost', null],
    ]);
  });

  it('ends with pod-gone when the pod is deleted', async () => {
    const pod = ledgerPods[1];
    const ticket: K2ShellTicket = (
      await openShell(ALICE, 'ledger', pod, { container: 'ledger' })
    ).body;
    const term = terminal(ticket);
    await term.opened;
    await term.shows('$ ');
    await api(bed.cluster('test')).delete(
      `/api/v1/namespaces/finance/pods/${pod}?gracePeriodSeconds=0`,
    );
    expect(await term.ended()).toEqual({
      reason: 'pod-gone',
      message: `The pod ${pod} is gone.`,
      code: 1000,
    });
  });

  it('tells a container without a shell apart, and ends with no-shell', async () => {
    const [pod] = await release('slim', '1.0-noshell');
    const res = await openShell(ALICE, 'slim', pod, { container: 'slim' });
    expect(res.status).toBe(201);
    const term = terminal(res.body);
    await term.opened;
    expect(await term.ended()).toEqual({
      reason: 'no-shell',
      message:
        'slim has no shell (/bin/sh not found). Start a debug container instead.',
      code: 1000,
    });
  });

  it('starts a debug container in a crash-looping pod, running as the debug user, and its terminal answers', async () => {
    const [pod] = await release('crashy', '1.0-crashloop', 'listed');
    const res = await server()
      .post(`${instance('crashy', pod)}/debug`)
      .set(as(ALICE))
      .send({ image: 'busybox', target: 'crashy', cols: 100, rows: 30 });
    expect(res.status).toBe(201);
    const ticket: K2ShellTicket = res.body;
    expect(ticket.container).toMatch(/^k2-debug-[a-z0-9]{5}$/);
    const live = await api(bed.cluster('test')).get(
      `/api/v1/namespaces/finance/pods/${pod}`,
    );
    expect(live.body.spec.ephemeralContainers).toEqual([
      expect.objectContaining({
        name: ticket.container,
        image: 'busybox:1.36',
        targetContainerName: 'crashy',
        securityContext: expect.objectContaining({
          runAsUser: 1000,
          runAsNonRoot: true,
        }),
      }),
    ]);
    const term = terminal(ticket);
    await term.opened;
    term.type('id\r');
    await term.shows('uid=1000');
    term.type('exit\r');
    expect((await term.ended()).reason).toBe('exit');
    const entries = await activityOf('crashy');
    expect(entries.find(i => i.action === 'instance-debug')).toMatchObject({
      actor: ALICE,
      summary: `Started debug container ${ticket.container} (busybox:1.36) in ${pod}`,
      result: 'succeeded',
    });
  });

  it('answers 429 over the per-user and the total limits', async () => {
    await endEarlierSessions();
    const open = (user: string) =>
      openShell(user, 'ledger', ledgerPods[0], { container: 'ledger' });
    expect((await open(ALICE)).status).toBe(201);
    expect((await open(ALICE)).status).toBe(201);
    const third = await open(ALICE);
    expect(third.status).toBe(429);
    expect(third.body.error.message).toBe(
      'You have 2 shell sessions open, the most allowed (k2.shell.maxSessionsPerUser); close one first',
    );
    expect((await open(ERIN)).status).toBe(201);
    const total = await open(ERIN);
    expect(total.status).toBe(429);
    expect(total.body.error.message).toBe(
      'K2 has 3 shell sessions open, the most allowed (k2.shell.maxSessions); try again later',
    );
  });
});

let firstBackend: K2DeployTestBackend | undefined;

describe('two backend replicas', () => {
  it('opens a session whose ticket another replica issued, before any other request reached it', async () => {
    await endEarlierSessions();
    const first = bed.backend;
    firstBackend = first;
    // A fresh replica: no request has been through its router yet, so the WebSocket
    // arrives as a plain request there and is taken over by the shell's middleware.
    const second = await bed.start({ entities, k2: k2() });
    try {
      const res = await request(first.server)
        .post(`${instance('ledger', ledgerPods[0])}/shell`)
        .set(as(ALICE))
        .send({ container: 'ledger' });
      expect(res.status).toBe(201);
      // Its watch caches have listed the clusters (asked of the k2 plugin, not Deploy).
      await poll('the second replica in sync', async () => {
        const health = await request(second.server)
          .get('/api/k2/clusters')
          .set(as(ALICE));
        const items: any[] = health.body.items ?? [];
        return (
          items.length > 0 &&
          items.every(c => c.status === 'ok' && !c.stale) &&
          items
        );
      });
      const term = terminal(res.body, undefined, second.server.port());
      await term.opened;
      await term.shows('$ ');
      term.type('exit 7\r');
      expect(await term.ended()).toEqual({
        reason: 'exit',
        message: 'Session ended (exit code 7).',
        code: 1000,
      });
    } finally {
      await second.stop();
    }
  });
});

describe('session timers', () => {
  beforeAll(async () => {
    await firstBackend?.stop();
    await bed.backend.stop();
    await bed.knex('k2_shell_sessions').delete();
    await bed.start({
      entities,
      k2: k2({
        idleTimeout: { milliseconds: 700 },
        maxDuration: { milliseconds: 1500 },
      }),
    });
    ledgerPods = await podsOf('ledger');
  });

  const open = async () => {
    const res = await openShell(ALICE, 'ledger', ledgerPods[0], {
      container: 'ledger',
    });
    expect(res.status).toBe(201);
    const term = terminal(res.body);
    await term.opened;
    return term;
  };

  it('closes a session without input after the idle timeout', async () => {
    const term = await open();
    expect(await term.ended()).toEqual({
      reason: 'idle',
      message: 'Closed after 0.7 seconds without input.',
      code: 1000,
    });
  });

  it('closes a busy session at the maximum duration', async () => {
    const term = await open();
    const typing = setInterval(() => term.type('echo busy\r'), 100);
    try {
      expect(await term.ended()).toEqual({
        reason: 'max-duration',
        message: 'Closed: sessions last at most 1.5 seconds.',
        code: 1000,
      });
    } finally {
      clearInterval(typing);
    }
  });
});
