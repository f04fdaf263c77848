import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { GitServer, startGitServer } from '@internal/git-server';
// The action is tested against the real Builds backend it calls, which builds with
// buildah and pushes to a real docker-registry.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2BuildsPlugin from '@internal/plugin-k2-builds-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the k2 core plugin beside the Builds backend, as the app runs them
import {
  ALICE,
  BOB,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import {
  hasDockerRegistry,
  LocalRegistry,
  SandboxCluster,
  startLocalRegistry,
} from '@internal/sandbox-cluster';
import { execFile, execFileSync } from 'child_process';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { PassThrough } from 'stream';
import { promisify } from 'util';
import { BUILD_LOG_TAIL_LINES, createK2BuildAction } from './buildAction';

const execFileAsync = promisify(execFile);

/**
 * Real builds need Debian's buildah, busybox-static and docker-registry. `./k2 test`
 * sets K2_REQUIRE_BUILDAH=1 once they are installed, and then a missing one fails
 * this file; run by hand without them, it is skipped, never passed.
 */
const BUSYBOX = '/bin/busybox';
const haveTools =
  hasDockerRegistry() &&
  fs.existsSync(BUSYBOX) &&
  (() => {
    try {
      execFileSync('buildah', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
if (!haveTools && process.env.K2_REQUIRE_BUILDAH === '1') {
  throw new Error(
    'buildah, busybox-static or docker-registry is missing and K2_REQUIRE_BUILDAH=1 says builds must be tested',
  );
}
const describeWithTools = haveTools ? describe : describe.skip;

jest.setTimeout(180_000);

const REGISTRY_HOST = 'registry.northwind.example';

/** The service's own Dockerfile: busybox on scratch, as a user, nothing fetched. */
const GOOD_DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'COPY hello.txt /app/hello.txt',
  'USER 1000:1000',
  'CMD ["/bin/busybox", "cat", "/app/hello.txt"]',
  '',
].join('\n');

/** A Dockerfile whose RUN prints 80 numbered lines, then fails. */
const FAILING_DOCKERFILE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'USER 1000:1000',
  'RUN ["/bin/busybox", "sh", "-c", "for i in $(/bin/busybox seq 1 80); do echo line-$i; done; exit 3"]',
  '',
].join('\n');

describeWithTools('k2:build', () => {
  let dir: string;
  let knex: Knex;
  let git: GitServer;
  let registry: LocalRegistry;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let base: string;
  let mainHead: string;
  let cluster: SandboxCluster;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-build-action-'));
    registry = await startLocalRegistry({
      rootDirectory: path.join(dir, 'registry'),
    });
    git = await startGitServer({ root: path.join(dir, 'repos'), port: 0 });
    const token = fs.readFileSync(git.pushTokenFile!, 'utf8').trim();
    const created = await fetch(`${git.url}/api/repos`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`k2:${token}`).toString('base64')}`,
      },
      body: JSON.stringify({ owner: 'shop', name: 'hello' }),
    });
    if (created.status !== 201) throw new Error(await created.text());

    // The service's repository: main builds, `broken` fails in a RUN.
    const work = path.join(dir, 'work');
    const gitInWork = (...args: string[]) =>
      execFileAsync('git', args, {
        cwd: work,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 'Alice',
          GIT_AUTHOR_EMAIL: 'alice@example.com',
          GIT_COMMITTER_NAME: 'Alice',
          GIT_COMMITTER_EMAIL: 'alice@example.com',
        },
      }).then(r => r.stdout.trim());
    fs.mkdirSync(work);
    await gitInWork('init', '--quiet', '-b', 'main');
    fs.copyFileSync(BUSYBOX, path.join(work, 'busybox'));
    fs.writeFileSync(path.join(work, 'hello.txt'), 'hello\n');
    fs.writeFileSync(path.join(work, 'Dockerfile'), GOOD_DOCKERFILE);
    await gitInWork('add', '.');
    await gitInWork('commit', '--quiet', '-m', 'First');
    mainHead = await gitInWork('rev-parse', 'HEAD');
    await gitInWork('checkout', '--quiet', '-b', 'broken');
    fs.writeFileSync(path.join(work, 'Dockerfile'), FAILING_DOCKERFILE);
    await gitInWork('commit', '--quiet', '-am', 'Broken');
    const remote = new URL(`${git.url}/shop/hello.git`);
    remote.username = 'k2';
    remote.password = token;
    await gitInWork('push', '--quiet', remote.href, 'main', 'broken');

    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2PluginTestBackend({
      plugin: k2BuildsPlugin,
      pluginId: 'k2-builds',
      entities: [
        serviceEntity('hello', {
          'k2.io/environments': 'test',
          'k2.io/namespace': 'shop',
          'k2.io/image': `${REGISTRY_HOST}/shop/hello`,
          'k2.io/dockerfile': 'Dockerfile',
          'backstage.io/source-location': `url:${git.url}/shop/hello.git`,
        }),
      ],
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test' }] }],
        registries: [
          { host: REGISTRY_HOST, url: registry.url, insecure: true },
        ],
        builds: {
          runner: 'local',
          sources: [{ host: new URL(git.url).host }],
          local: { concurrency: 1, storageDir: path.join(dir, 'buildah') },
        },
      },
    });
    base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await git?.close();
    await registry?.stop();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the action as `user`; resolves to its outputs and log lines. */
  async function run(
    input: object,
    user = ALICE,
    options: {
      registrationWaitMs?: number;
      logs?: string[];
      signal?: AbortSignal;
    } = {},
  ) {
    // As Backstage's auth service does for a token on a user's behalf: the callee sees
    // the user, with the scaffolder as the actor.
    const auth = mockServices.auth({ pluginId: 'scaffolder' });
    auth.getPluginRequestToken = async ({ onBehalfOf }) => ({
      token: mockCredentials.user.token(
        (onBehalfOf.principal as { userEntityRef: string }).userEntityRef,
        { actor: { subject: 'plugin:scaffolder' } },
      ),
    });
    const action = createK2BuildAction({
      auth,
      discovery: {
        getBaseUrl: async id => `${base}/api/${id}`,
        getExternalBaseUrl: async id => `${base}/api/${id}`,
      },
      pollIntervalMs: 200,
      registrationWaitMs: options.registrationWaitMs,
    });
    const output: Record<string, unknown> = {};
    const logs: string[] = options.logs ?? [];
    await action.handler({
      input,
      output: (key: string, value: unknown) => {
        output[key] = value;
      },
      logger: {
        info: (m: string) => logs.push(m),
        warn: (m: string) => logs.push(m),
      },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () => mockCredentials.user(user),
      workspacePath: '/tmp',
      checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
      createTemporaryDirectory: async () => '/tmp',
      signal: options.signal,
    } as any);
    return { output, logs };
  }

  /** The service's builds as the Builds API lists them. */
  async function builds() {
    const response = await fetch(
      `${base}/api/k2-builds/services/default/hello/builds`,
      {
        headers: {
          Authorization: `Bearer ${mockCredentials.user.token(ALICE)}`,
        },
      },
    );
    expect(response.status).toBe(200);
    return (await response.json()).items as Array<{
      number: number;
      status: string;
      trigger: string;
      triggeredBy: string;
    }>;
  }

  /** The digest the registry answers for a tag. */
  async function registryDigest(repository: string, tag: string) {
    const response = await fetch(
      `${registry.url}/v2/${repository}/manifests/${tag}`,
      {
        method: 'HEAD',
        headers: {
          accept: [
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
          ].join(', '),
        },
      },
    );
    return response.headers.get('docker-content-digest');
  }

  it('builds the default branch as the template runner and outputs the commit, image and registry digest', async () => {
    const { output, logs } = await run({
      entityRef: 'component:default/hello',
      releaseTo: null,
    });
    const tag = mainHead.slice(0, 12);
    expect(output).toEqual({
      buildId: expect.any(String),
      number: 1,
      status: 'succeeded',
      commit: mainHead,
      image: `${REGISTRY_HOST}/shop/hello:${tag}`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(output.digest).toBe(await registryDigest('shop/hello', tag));
    expect(logs[0]).toBe(
      `Build #1 of component:default/hello (main at ${tag}) → ${REGISTRY_HOST}/shop/hello:${tag}: queued`,
    );
    expect(logs[logs.length - 1]).toBe(
      `Build #1 pushed ${REGISTRY_HOST}/shop/hello:${tag} (${output.digest})`,
    );
    expect(await builds()).toEqual([
      expect.objectContaining({
        number: 1,
        status: 'succeeded',
        trigger: 'scaffolder',
        triggeredBy: ALICE,
      }),
    ]);
  });

  it('builds the tag asked for, and starts without waiting when told not to', async () => {
    const { output } = await run({
      entityRef: 'component:default/hello',
      ref: 'main',
      tag: '0.1.0',
      releaseTo: null,
      wait: false,
    });
    expect(output).toMatchObject({
      number: 2,
      image: `${REGISTRY_HOST}/shop/hello:0.1.0`,
      commit: mainHead,
    });
    expect(['queued', 'running']).toContain(output.status);
    expect(output).not.toHaveProperty('digest');
    // Let it end before the next test queues another.
    for (let i = 0; i < 600; i++) {
      const [latest] = await builds();
      if (latest.status !== 'queued' && latest.status !== 'running') break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect((await builds())[0].status).toBe('succeeded');
    expect(await registryDigest('shop/hello', '0.1.0')).toMatch(/^sha256:/);
  });

  it('fails the step with the reason and the last 50 lines of a failed build’s log', async () => {
    const failure = await run({
      entityRef: 'component:default/hello',
      ref: 'broken',
      releaseTo: null,
    }).then(
      () => undefined,
      e => e as Error,
    );
    if (!failure) throw new Error('the step did not fail');
    const [headline, ...rest] = failure.message.split(
      '\n--- last lines of its log ---\n',
    );
    expect(headline).toMatch(/^Build #3 of component:default\/hello failed/);
    const tail = rest.join('').split('\n');
    expect(tail.length).toBeLessThanOrEqual(BUILD_LOG_TAIL_LINES);
    expect(tail).toContain('line-80');
    expect(tail).not.toContain('line-1');
    expect((await builds())[0]).toMatchObject({ number: 3, status: 'failed' });
  });

  it('cancels the build when the task is cancelled', async () => {
    const controller = new AbortController();
    const logs: string[] = [];
    // Cancelled as soon as the build is queued (the step's first line).
    const push = logs.push.bind(logs);
    logs.push = (...lines: string[]) => {
      controller.abort();
      return push(...lines);
    };
    const failure = await run(
      {
        entityRef: 'component:default/hello',
        tag: 'cancelled',
        releaseTo: null,
      },
      ALICE,
      { logs, signal: controller.signal },
    ).then(
      () => undefined,
      e => e as Error,
    );
    expect(failure?.message).toMatch(
      /^The task was cancelled; build #\d+ was cancelled too$/,
    );
    const number = Number(/#(\d+)/.exec(failure!.message)![1]);
    for (let i = 0; i < 300; i++) {
      const build = (await builds()).find(b => b.number === number)!;
      if (build.status !== 'running' && build.status !== 'queued') break;
      await new Promise(r => setTimeout(r, 200));
    }
    expect((await builds()).find(b => b.number === number)).toMatchObject({
      status: 'cancelled',
    });
  });

  it('fails the step with the backend’s refusal of a user of another team, queueing nothing', async () => {
    const before = await builds();
    const refused = run(
      { entityRef: 'component:default/hello', releaseTo: null },
      BOB,
    );
    await expect(refused).rejects.toMatchObject({ statusCode: 403 });
    await expect(refused).rejects.toThrow(
      /^You may not .*component:default\/hello/,
    );
    expect(await builds()).toEqual(before);
  });

  it('fails the step with the backend’s message for a ref the repository lacks, queueing nothing', async () => {
    const before = await builds();
    await expect(
      run({ entityRef: 'component:default/hello', ref: 'no-such-branch' }),
    ).rejects.toThrow(/no-such-branch/);
    expect(await builds()).toEqual(before);
  });

  it('asks again while the service is unknown, then fails with the backend’s 404', async () => {
    const logs: string[] = [];
    const failure = await run(
      { entityRef: 'component:default/not-registered-yet' },
      ALICE,
      { registrationWaitMs: 1000, logs },
    ).catch(e => e);
    expect(failure).toMatchObject({ statusCode: 404 });
    expect(logs).toEqual([
      expect.stringMatching(
        /^component:default\/not-registered-yet is not known to the Builds backend yet \(.+\); asking again for up to 1 s while the catalog processes it$/,
      ),
    ]);
  });
});
