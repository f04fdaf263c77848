import {
  GitServer,
  signPushPayload,
  startGitServer,
} from '@internal/git-server';
import {
  LocalRegistry,
  SandboxCluster,
  startLocalRegistry,
} from '@internal/sandbox-cluster';
import { promises as fs } from 'fs';
import http from 'http';
import knexFactory, { Knex } from 'knex';
import type { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { pushBusyboxBase } from '../__testUtils__/busyboxBase';
import { TestRepository } from '../__testUtils__/gitRepository';
import {
  ALICE,
  as,
  BOB,
  deployReleasesDouble,
  OTHER_TEAM,
  RecordedAuditEvent,
  recordingAuditor,
  RequestedRelease,
  serviceEntity,
  startK2BuildsBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(240_000);

const REGISTRY_HOST = 'registry.northwind.example';
const WEBHOOK_SECRET = 'builds-test-webhook-secret-5a1f';
const PUSH_TOKEN = 'push-secret-9c2e';
const API = '/api/k2-builds';
const GATEWAY = `${API}/services/default/payment-gateway`;

/**
 * Where the Git server sends its push webhooks: forwarded to the backend once it runs
 * (the Git server starts first, as the entities name its URL). Deliveries before that
 * are answered 503, as a backend that is not up answers.
 */
async function startRelay() {
  let target: string | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', async () => {
      if (!target) {
        res.writeHead(503).end();
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([name]) => !['host', 'content-length', 'connection'].includes(name),
        ),
      ) as Record<string, string>;
      const response = await fetch(target, {
        method: 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(response.status).end(await response.text());
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`,
    forwardTo: (url: string) => {
      target = url;
    },
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('the Builds API, with a real Git server, docker-registry and buildah', () => {
  let work: string;
  let git: GitServer;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let registry: LocalRegistry;
  let test: SandboxCluster;
  let prod: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2BuildsBackend>>;
  let repository: TestRepository;
  let cloneUrl: string;
  const commits: Record<string, string> = {};
  const releases: RequestedRelease[] = [];
  const audit: RecordedAuditEvent[] = [];
  const audited = (eventId: string) =>
    audit.filter(e => e.plugin === 'k2-builds' && e.eventId === eventId);
  const server = () => request(backend.server);
  const builds = async () => knex('k2_builds').select('*');

  /** Waits until build `number` of the gateway has ended, and answers it. */
  async function ended(number: number) {
    // The followed log ends when the build ends.
    await server()
      .get(`${GATEWAY}/builds/${number}/logs?follow=true`)
      .set(as(ALICE));
    for (;;) {
      const build = (
        await server().get(`${GATEWAY}/builds/${number}`).set(as(ALICE))
      ).body;
      if (!['queued', 'running'].includes(build.status)) return build;
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }

  /** Commits `files` and pushes them to main; answers the commit. */
  async function push(files: Record<string, string>, message: string) {
    const commit = await repository.commit(files, message);
    await repository.push('HEAD:refs/heads/main');
    return commit;
  }

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-builds-routes-'));
    relay = await startRelay();
    [git, registry] = await Promise.all([
      startGitServer({
        root: path.join(work, 'git'),
        port: 0,
        pushToken: PUSH_TOKEN,
        webhookUrls: [relay.url],
        webhookSecret: WEBHOOK_SECRET,
      }),
      startLocalRegistry({ rootDirectory: path.join(work, 'registry') }),
    ]);
    await pushBusyboxBase(registry.host);
    repository = await TestRepository.create({
      serverUrl: git.url,
      pushToken: PUSH_TOKEN,
      owner: 'payments',
      name: 'payment-gateway',
      dir: work,
    });
    cloneUrl = repository.cloneUrl;
    // Pushed before the backend runs: the relay answers 503, nothing is built.
    commits.first = await push(
      {
        Dockerfile: [
          `FROM ${REGISTRY_HOST}/k2-base/busybox:1.35.0`,
          'COPY greeting.txt /app/greeting.txt',
          'RUN echo "built: $(cat /app/greeting.txt)" && mkdir /log-dir && chown 1000:1000 /log-dir',
          'USER 1000:1000',
          'EXPOSE 8080',
          '',
        ].join('\n'),
        'greeting.txt': 'hello\n',
      },
      'First commit',
    );

    const source = { 'backstage.io/source-location': `url:${cloneUrl}` };
    const k2Annotations = {
      'k2.io/environments': 'test,prod',
      'k2.io/namespace': 'payments',
      'k2.io/image': `${REGISTRY_HOST}/payments/payment-gateway`,
    };
    [test, prod] = ['test-1', 'prod-1'].map(
      name => new SandboxCluster({ name, tokens: [`${name}-token`] }),
    );
    await Promise.all([test.listen(0), prod.listen(0)]);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2BuildsBackend({
      entities: [
        serviceEntity('payment-gateway', {
          ...k2Annotations,
          ...source,
          'k2.io/dockerfile': 'Dockerfile',
          'k2.io/build-release': 'test',
        }),
        serviceEntity(
          'ledger',
          {
            ...k2Annotations,
            'k2.io/image': `${REGISTRY_HOST}/other-team/ledger`,
            ...source,
            'k2.io/language': 'node',
            // The same repository (a monorepo of two teams), built from another branch.
            'k2.io/build-branch': 'release',
          },
          {
            owner: OTHER_TEAM,
          },
        ),
        // The gateway's team builds another service from the repository and shares
        // the gateway's image repository.
        serviceEntity('payment-worker', {
          ...k2Annotations,
          ...source,
          'k2.io/language': 'node',
          'k2.io/build-branch': 'release',
        }),
        serviceEntity('no-source', {
          ...k2Annotations,
          'k2.io/language': 'node',
        }),
        serviceEntity('internal', {
          ...k2Annotations,
          'k2.io/language': 'node',
          'backstage.io/source-location':
            'url:http://169.254.169.254/latest/meta-data',
        }),
      ],
      clusters: [test, prod],
      knex,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test-1' }] },
          {
            name: 'prod',
            production: true,
            approval: {
              required: true,
              approverGroup: 'group:default/release-approvers',
            },
            clusters: [{ name: 'prod-1' }],
          },
        ],
        registries: [
          { host: REGISTRY_HOST, url: registry.url, insecure: true },
        ],
        builds: {
          runner: 'local',
          timeout: { minutes: 5 },
          sources: [{ host: new URL(git.url).host }],
          webhooks: { secret: WEBHOOK_SECRET },
          local: { concurrency: 1, storageDir: path.join(work, 'buildah') },
        },
      },
      features: [deployReleasesDouble(releases), recordingAuditor(audit)],
    });
    relay.forwardTo(
      `http://localhost:${backend.server.port()}${API}/webhooks/push`,
    );
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await relay?.close();
    await git?.close();
    await registry?.stop();
    await Promise.all([test, prod].filter(Boolean).map(c => c.stop()));
    if (work) {
      await fs.rm(work, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('shows what a build would use, and why a service cannot build', async () => {
    const settings = await server()
      .get(`${GATEWAY}/build-settings`)
      .set(as(BOB));
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({
      runner: 'local',
      repository: cloneUrl,
      image: `${REGISTRY_HOST}/payments/payment-gateway`,
      dockerfile: { source: 'repository', path: 'Dockerfile' },
      releaseTo: 'test',
      releaseTargets: ['test'],
      problems: [],
    });
    const noSource = await server()
      .get(`${API}/services/default/no-source/build-settings`)
      .set(as(ALICE));
    expect(noSource.body.problems).toEqual([
      expect.stringContaining('backstage.io/source-location is missing'),
    ]);
    const internal = await server()
      .get(`${API}/services/default/internal/build-settings`)
      .set(as(ALICE));
    expect(internal.body.problems).toEqual([
      'The source host 169.254.169.254 is not one K2 builds from (k2.builds.sources)',
    ]);
  });

  it('refuses bad input with a 400 naming it, and queues nothing', async () => {
    const start = (body: object, service = 'payment-gateway') =>
      server()
        .post(`${API}/services/default/${service}/builds`)
        .set(as(ALICE))
        .send(body);
    const dots = await start({ ref: 'main..evil' });
    expect(dots.status).toBe(400);
    expect(dots.body.error.message).toMatch(/ref/);
    const option = await start({ ref: '--upload-pack=touch /tmp/x' });
    expect(option.status).toBe(400);
    const prodRelease = await start({ releaseTo: 'prod' });
    expect(prodRelease.status).toBe(400);
    expect(prodRelease.body.error.message).toBe(
      "releaseTo 'prod' needs approval for releases; a build releases only where none is needed",
    );
    const unknownEnv = await start({ releaseTo: 'staging' });
    expect(unknownEnv.status).toBe(400);
    expect(unknownEnv.body.error.message).toMatch(
      /^releaseTo 'staging' is not one of the environments/,
    );
    const unknownRef = await start({ ref: 'no-such-branch' });
    expect(unknownRef.status).toBe(400);
    expect(unknownRef.body.error.message).toBe(
      `Branch or tag 'no-such-branch' is not in ${cloneUrl}`,
    );
    const extra = await start({ ref: 'main', image: 'evil/image:1' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/image/);
    const internal = await start({}, 'internal');
    expect(internal.status).toBe(400);
    expect(internal.body.error.message).toMatch(
      /169\.254\.169\.254 is not one K2 builds from/,
    );
    const limit = await server()
      .get(`${GATEWAY}/builds?limit=100000`)
      .set(as(ALICE));
    expect(limit.status).toBe(400);
    expect(limit.body.error.message).toMatch(/limit/);
    expect(await builds()).toEqual([]);
  });

  it('refuses another team’s user to build, cancel or release, and queues nothing', async () => {
    const run = await server().post(`${GATEWAY}/builds`).set(as(BOB)).send({});
    expect(run.status).toBe(403);
    expect(run.body.error.message).toBe(
      'You may not build component:default/payment-gateway',
    );
    const ledger = await server()
      .post(`${API}/services/default/ledger/builds`)
      .set(as(ALICE))
      .send({ ref: 'main' });
    expect(ledger.status).toBe(403);
    expect(await builds()).toEqual([]);
    // Refusals are audited (as the bad input before them was).
    expect(audited('k2.build.start').slice(-2)).toEqual([
      expect.objectContaining({
        status: 'failed',
        meta: {
          service: 'component:default/payment-gateway',
          environment: null,
        },
        error: expect.stringContaining('NotAllowedError'),
      }),
      expect.objectContaining({
        status: 'failed',
        meta: { service: 'component:default/ledger', environment: null },
      }),
    ]);
    expect((await server().get(`${GATEWAY}/builds`).set(as(BOB))).body).toEqual(
      { items: [], total: 0 },
    );
  });

  it('builds the pushed commit with buildah, checks the registry’s digest and releases as the user who started it', async () => {
    const started = await server()
      .post(`${GATEWAY}/builds`)
      .set(as(ALICE))
      .send({});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      number: 1,
      ref: 'main',
      commit: commits.first,
      trigger: 'ui',
      triggeredBy: ALICE,
      image: `${REGISTRY_HOST}/payments/payment-gateway:${commits.first.slice(
        0,
        12,
      )}`,
      dockerfileSource: 'repository',
      releaseTo: 'test',
    });
    expect(['queued', 'running']).toContain(started.body.status);

    // The log, followed from the start, ends when the build does.
    const log = await server()
      .get(`${GATEWAY}/builds/1/logs?follow=true`)
      .set(as(ALICE));
    expect(log.status).toBe(200);
    expect(log.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(log.text).toContain('built: hello');
    const build = await ended(1);
    expect(build).toMatchObject({ status: 'succeeded', logTruncated: false });
    expect(build.reason).toBeUndefined();

    // The digest is the registry's.
    const head = await fetch(
      `${
        registry.url
      }/v2/payments/payment-gateway/manifests/${commits.first.slice(0, 12)}`,
      {
        method: 'HEAD',
        headers: {
          accept:
            'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        },
      },
    );
    expect(head.status).toBe(200);
    expect(build.imageDigest).toBe(head.headers.get('docker-content-digest'));

    // Released to test, as alice, with the built tag.
    expect(releases).toEqual([
      {
        service: 'default/payment-gateway',
        body: { environment: 'test', image: build.image },
        principal: expect.objectContaining({
          type: 'user',
          userEntityRef: ALICE,
        }),
      },
    ]);
    expect(build.release).toEqual({
      id: 'release-1',
      number: 1,
      environment: 'test',
    });

    // The whole log again, and from an offset.
    const whole = await server().get(`${GATEWAY}/builds/1/logs`).set(as(ALICE));
    expect(whole.text.length).toBeGreaterThan(0);
    expect(whole.text).toContain(`Release 1 of ${build.image} to test started`);
    const offset = Buffer.byteLength(whole.text) - 20;
    const tail = await server()
      .get(`${GATEWAY}/builds/1/logs?offset=${offset}`)
      .set(as(ALICE));
    expect(tail.text).toBe(Buffer.from(whole.text).subarray(offset).toString());

    const dockerfile = await server()
      .get(`${GATEWAY}/builds/1/dockerfile`)
      .set(as(ALICE));
    expect(dockerfile.body).toMatchObject({
      source: 'repository',
      path: 'Dockerfile',
      text: expect.stringContaining('COPY greeting.txt'),
    });

    // Another team reads the history, not the log or the Dockerfile.
    expect(
      (await server().get(`${GATEWAY}/builds/1`).set(as(BOB))).status,
    ).toBe(200);
    for (const what of ['logs', 'dockerfile']) {
      const refused = await server()
        .get(`${GATEWAY}/builds/1/${what}`)
        .set(as(BOB));
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain('built: hello');
    }
    const cancel = await server()
      .post(`${GATEWAY}/builds/1/cancel`)
      .set(as(BOB));
    expect(cancel.status).toBe(403);
    const done = await server()
      .post(`${GATEWAY}/builds/1/cancel`)
      .set(as(ALICE));
    expect(done.status).toBe(409);
    expect(done.body.error.message).toBe(
      'Build 1 has already ended (succeeded)',
    );
  });

  it('answers a build already queued for the ref instead of queueing another, and cancels queued and running builds', async () => {
    const first = await server()
      .post(`${GATEWAY}/builds`)
      .set(as(ALICE))
      .send({ releaseTo: null });
    expect(first.status).toBe(202);
    // One build of a service runs at a time: the next one waits, and two starts of
    // the ref at the same moment queue it once.
    const racing = await Promise.all([
      server()
        .post(`${GATEWAY}/builds`)
        .set(as(ALICE))
        .send({ tag: 'second', releaseTo: null }),
      server().post(`${GATEWAY}/builds`).set(as(ALICE)).send({}),
    ]);
    expect(racing.map(r => r.status).sort()).toEqual([200, 202]);
    const second = racing.find(r => r.status === 202)!;
    expect(second.body.status).toBe('queued');
    const again = racing.find(r => r.status === 200)!;
    expect(again.body.number).toBe(second.body.number);

    const cancelQueued = await server()
      .post(`${GATEWAY}/builds/${second.body.number}/cancel`)
      .set(as(ALICE));
    expect(cancelQueued.status).toBe(200);
    expect(cancelQueued.body).toMatchObject({
      status: 'cancelled',
      reason: `Cancelled by ${ALICE}`,
    });
    const cancelRunning = await server()
      .post(`${GATEWAY}/builds/${first.body.number}/cancel`)
      .set(as(ALICE));
    expect(cancelRunning.status).toBe(200);
    // Cancelled while it ran (a build takes seconds; the cancel comes at once).
    expect(await ended(first.body.number)).toMatchObject({
      status: 'cancelled',
      reason: `Cancelled by ${ALICE}`,
    });
    const log = await server()
      .get(`${GATEWAY}/builds/${first.body.number}/logs`)
      .set(as(ALICE));
    expect(log.text).toContain(
      `Build ${first.body.number} cancelled: Cancelled by ${ALICE}`,
    );
    expect(releases).toHaveLength(1);
  });

  it('refuses another team’s user the log, the Dockerfile and a cancel of a running build, which runs on', async () => {
    const started = await server()
      .post(`${GATEWAY}/builds`)
      .set(as(ALICE))
      .send({ tag: 'bob-may-not', releaseTo: null });
    expect(started.status).toBe(202);
    const number = started.body.number;
    for (const what of ['logs', 'logs?follow=true', 'dockerfile']) {
      const refused = await server()
        .get(`${GATEWAY}/builds/${number}/${what}`)
        .set(as(BOB));
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe(
        'You may not read the build logs of component:default/payment-gateway',
      );
      expect(refused.text).not.toContain('[k2]');
    }
    const cancel = await server()
      .post(`${GATEWAY}/builds/${number}/cancel`)
      .set(as(BOB));
    expect(cancel.status).toBe(403);
    expect(cancel.body.error.message).toBe(
      'You may not build component:default/payment-gateway',
    );
    expect(audited('k2.build.cancel').slice(-1)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: expect.stringContaining('NotAllowedError'),
      }),
    ]);
    // No cancel was asked for: the build runs on and succeeds.
    const row = (await builds()).find(b => b.number === number);
    expect(row.cancel_requested_at).toBeNull();
    expect(await ended(number)).toMatchObject({ status: 'succeeded' });

    // A number the service does not have is refused the same way, so a 403 never
    // tells another team which numbers exist.
    for (const [method, what] of [
      ['get', 'logs'],
      ['get', 'dockerfile'],
      ['post', 'cancel'],
    ] as const) {
      const unknown = await server()
        [method](`${GATEWAY}/builds/99999/${what}`)
        .set(as(BOB));
      expect(unknown.status).toBe(403);
    }
  });

  it('answers 404 for a build number of another service asked through this one, and changes nothing', async () => {
    // Build 900 of ledger (another team’s), running in a cluster; the gateway has no 900.
    const id = '7d9e2a8c-0b1f-4c3e-9a55-3f1e0c2d4b61';
    await knex('k2_builds').insert({
      id,
      service: 'component:default/ledger',
      number: 900,
      ref: 'release',
      commit: commits.first,
      trigger: 'ui',
      triggered_by: 'user:default/carol',
      status: 'running',
      runner: 'kubernetes',
      image: `${REGISTRY_HOST}/payments/payment-gateway:ledger-900`,
      dockerfile_source: 'generated',
      dockerfile: 'FROM ledger-secret-base',
      created_at: new Date().toISOString(),
      log_bytes: 17,
      log_truncated: false,
    });
    await knex('k2_build_log_chunks').insert({
      build_id: id,
      seq: 0,
      start_byte: 0,
      bytes: 17,
      text: 'ledger secret log',
    });
    try {
      for (const [method, what] of [
        ['get', ''],
        ['get', '/logs'],
        ['get', '/dockerfile'],
        ['post', '/cancel'],
      ] as const) {
        const response = await server()
          [method](`${GATEWAY}/builds/900${what}`)
          .set(as(ALICE));
        expect(response.status).toBe(404);
        expect(response.body.error.message).toBe(
          'component:default/payment-gateway has no build 900',
        );
        expect(response.text).not.toMatch(/ledger/);
      }
      const row = await knex('k2_builds').where({ id }).first();
      expect(row).toMatchObject({
        status: 'running',
        cancel_requested_at: null,
        finished_at: null,
      });
    } finally {
      await knex('k2_build_log_chunks').where({ build_id: id }).delete();
      await knex('k2_builds').where({ id }).delete();
    }
  });

  it('refuses absurd build numbers and log offsets with a 400 naming the parameter', async () => {
    const before = await builds();
    for (const number of [
      '100000000000000000000',
      '2147483648',
      '-1',
      '0',
      'abc',
      '1.5',
    ]) {
      for (const [method, what] of [
        ['get', ''],
        ['get', '/logs'],
        ['get', '/dockerfile'],
        ['post', '/cancel'],
      ] as const) {
        const response = await server()
          [method](`${GATEWAY}/builds/${number}${what}`)
          .set(as(ALICE));
        expect([number, what, response.status]).toEqual([number, what, 400]);
        expect(response.body.error.message).toMatch(
          /^Path parameter 'number' must be/,
        );
      }
    }
    for (const offset of ['-1', '100000000000000000000', '2147483648', 'abc']) {
      const response = await server()
        .get(`${GATEWAY}/builds/1/logs?offset=${offset}`)
        .set(as(ALICE));
      expect([offset, response.status]).toEqual([offset, 400]);
      expect(response.body.error.message).toMatch(
        /^Query parameter 'offset' must be/,
      );
    }
    expect(await builds()).toEqual(before);
  });

  describe('push webhooks', () => {
    const hook = (body: string, headers: Record<string, string>) =>
      server()
        .post(`${API}/webhooks/push`)
        .set({ 'content-type': 'application/json', ...headers })
        .send(body);
    const payload = (ref: string, after: string) =>
      JSON.stringify({
        ref,
        before: commits.first,
        after,
        created: false,
        deleted: false,
        repository: {
          name: 'payment-gateway',
          full_name: 'payments/payment-gateway',
          clone_url: `${cloneUrl}.git`.replace(/\.git\.git$/, '.git'),
        },
        pusher: { name: 'alice' },
        head_commit: {
          id: after,
          message: 'A change',
          timestamp: '2026-11-27T09:00:00Z',
          author: { name: 'Alice Example' },
        },
      });

    it('refuses a bad, missing or GitLab-wrong signature with 401 and no detail, and queues nothing', async () => {
      const before = (await builds()).length;
      const body = payload('refs/heads/main', commits.first);
      const bad = await hook(body, {
        'x-github-event': 'push',
        'x-github-delivery': 'bad-1',
        'x-hub-signature-256': signPushPayload(body, 'not-the-secret-at-all'),
      });
      expect(bad.status).toBe(401);
      const missing = await hook(body, {
        'x-github-event': 'push',
        'x-github-delivery': 'bad-2',
      });
      expect(missing.status).toBe(401);
      const gitlab = await hook(body, {
        'x-gitlab-event': 'Push Hook',
        'x-gitlab-token': 'wrong-token-wrong-token',
      });
      expect(gitlab.status).toBe(401);
      for (const response of [bad, missing, gitlab]) {
        expect(response.body.error.message).toBe(
          'The webhook is not signed for K2',
        );
      }
      expect((await builds()).length).toBe(before);
    });

    it('answers a ping 204, a body over 1 MiB 413, and a branch no service builds 200 with nothing queued', async () => {
      const before = (await builds()).length;
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const pong = await hook(ping, {
        'x-github-event': 'ping',
        'x-github-delivery': 'ping-1',
        'x-hub-signature-256': signPushPayload(ping, WEBHOOK_SECRET),
      });
      expect(pong.status).toBe(204);
      const huge = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
      const tooLarge = await hook(huge, {
        'x-github-event': 'push',
        'x-hub-signature-256': signPushPayload(huge, WEBHOOK_SECRET),
      });
      expect(tooLarge.status).toBe(413);
      const other = payload('refs/heads/feature/x', commits.first);
      const branch = await hook(other, {
        'x-github-event': 'push',
        'x-github-delivery': 'branch-1',
        'x-hub-signature-256': signPushPayload(other, WEBHOOK_SECRET),
      });
      expect(branch.status).toBe(200);
      expect(branch.body).toEqual({
        builds: [],
        message: 'No K2 service builds feature/x of payments/payment-gateway',
      });
      expect((await builds()).length).toBe(before);
    });

    it('refuses a push of a SHA-256 repository with 400 naming why, records no delivery and queues nothing', async () => {
      const before = (await builds()).length;
      const body = payload('refs/heads/main', 'a'.repeat(64));
      const headers = {
        'x-github-event': 'push',
        'x-github-delivery': 'sha256-1',
        'x-hub-signature-256': signPushPayload(body, WEBHOOK_SECRET),
      };
      const refused = await hook(body, headers);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(
        `payments/payment-gateway uses SHA-256 object names (commit ${'a'.repeat(
          64,
        )}); K2 builds repositories with SHA-1 object names only`,
      );
      // Not taken for received: the same delivery is refused again, not a duplicate.
      expect((await hook(body, headers)).status).toBe(400);
      expect((await builds()).length).toBe(before);
    });

    it('builds a push to the build branch as the plugin, once per delivery, and releases it', async () => {
      const before = (await builds()).length;
      // A real push: the Git server signs and sends the webhook itself.
      commits.second = await push(
        { 'greeting.txt': 'hello again\n' },
        'Second commit',
      );
      let build: any;
      for (let i = 0; i < 100 && !build; i++) {
        build = (await builds()).find(b => b.commit === commits.second);
        if (!build) await new Promise(resolve => setTimeout(resolve, 100));
      }
      expect(build).toMatchObject({
        trigger: 'webhook',
        triggered_by: 'push by k2',
        ref: 'main',
        release_to: 'test',
      });
      const result = await ended(build.number);
      expect(result.status).toBe('succeeded');
      expect(releases[releases.length - 1]).toEqual({
        service: 'default/payment-gateway',
        body: { environment: 'test', image: result.image },
        principal: expect.objectContaining({
          type: 'service',
          subject: 'plugin:k2-builds',
        }),
      });

      // The same delivery again changes nothing.
      const body = payload('refs/heads/main', commits.second);
      const headers = {
        'x-github-event': 'push',
        'x-github-delivery': 'delivery-7',
        'x-hub-signature-256': signPushPayload(body, WEBHOOK_SECRET),
      };
      const firstTime = await hook(body, headers);
      expect(firstTime.status).toBe(202);
      expect(firstTime.body.builds).toEqual([
        {
          service: 'component:default/payment-gateway',
          number: expect.any(Number),
        },
      ]);
      const secondTime = await hook(body, headers);
      expect(secondTime.status).toBe(200);
      expect(secondTime.body).toEqual({
        builds: [],
        duplicate: true,
        message: 'already received',
      });
      expect((await builds()).length).toBe(before + 2);
      await ended(firstTime.body.builds[0].number);
    });
  });
});
