import { mockServices } from '@backstage/backend-test-utils';
import { startGitServer } from '@internal/git-server';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { Knex } from 'knex';
import { promisify } from 'util';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import {
  K2NewActivity,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { readBuildsConfig } from '../config/readBuildsConfig';
import { DatabaseBuildStore, NewBuild } from '../database/BuildStore';
import { BuildLogEvents } from '../logs/BuildLogWriter';
import {
  BackendStoppingReason,
  BuildJob,
  BuildLogSink,
  BuildOutcome,
  BuildRunner,
} from '../runners/types';
import { BuildQueue } from './BuildQueue';
import { ImageRegistries, ReleaseStarter } from './types';

const databases = createK2TestDatabases();
const execFileAsync = promisify(execFile);

jest.setTimeout(60_000);

const REGISTRY = 'registry.northwind.example';
const config = new ConfigReader({
  k2: {
    environments: [{ name: 'test', clusters: [{ name: 'test-1' }] }],
    builds: {
      timeout: { seconds: 2 },
      sources: [{ host: 'git.example.com' }],
      local: { concurrency: 2 },
    },
  },
});
const model = readEnvironmentModel(config);

function entity(
  name: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/kubernetes-id': name,
        'k2.io/environments': 'test',
        'k2.io/namespace': 'payments',
        'k2.io/language': 'node',
        'k2.io/image': `${REGISTRY}/payments/${name}`,
        'backstage.io/source-location': `url:https://git.example.com/payments/${name}`,
        ...annotations,
      },
    },
    spec: {
      type: 'service',
      owner: 'group:default/shop-team',
      lifecycle: 'production',
    },
  };
}

/**
 * A runner double: each job waits for the test to settle it (or for its signal), as a
 * runner waits for buildah; records the jobs it was given.
 */
class ControlledRunner implements BuildRunner {
  readonly kind = 'local' as const;
  readonly jobs: BuildJob[] = [];
  readonly #settle = new Map<string, (outcome: BuildOutcome) => void>();
  resume?: BuildRunner['resume'];

  async available() {
    return { ok: true as const };
  }

  run(job: BuildJob, log: BuildLogSink, signal: AbortSignal) {
    this.jobs.push(job);
    log.write(`STEP 1/1: FROM base of ${job.number}\n`);
    return new Promise<BuildOutcome>(resolve => {
      this.#settle.set(job.id, resolve);
      signal.addEventListener('abort', () => resolve({ result: 'cancelled' }));
    });
  }

  settle(id: string, outcome: BuildOutcome) {
    this.#settle.get(id)!(outcome);
  }

  running(id: string) {
    return this.#settle.has(id);
  }
}

describe.each(databases.eachSupportedId())('BuildQueue on %s', databaseId => {
  async function setup(
    entities: Entity[] = [entity('payment-gateway'), entity('ledger')],
    sourceHost?: string,
    /** Another replica's database, shared with this one. */
    replicaOf?: { knex: Knex },
  ) {
    const knex = replicaOf?.knex ?? (await databases.init(databaseId));
    const store = await DatabaseBuildStore.create({
      database: { getClient: async () => knex },
    });
    const runner = new ControlledRunner();
    const pushed = new Set<string>();
    const registries: ImageRegistries = {
      hosts: new Set([REGISTRY]),
      async manifest(_host, repository, tag) {
        return pushed.has(`${repository}:${tag}`)
          ? { digest: `sha256:${'c'.repeat(64)}` }
          : undefined;
      },
    };
    const released: Array<Parameters<ReleaseStarter['release']>[0]> = [];
    const activity: K2NewActivity[] = [];
    const releases: ReleaseStarter = {
      async release(options) {
        released.push(options);
        return { id: 'r-1', number: 4 };
      },
    };
    const byRef = new Map(
      entities.map(e => [`component:default/${e.metadata.name}`, e]),
    );
    const queue = new BuildQueue({
      store,
      resolver: {
        async service(ref) {
          const e = byRef.get(String(ref))!;
          return {
            ref: String(ref),
            entity: e,
            spec: readServiceSpec(e, model),
          };
        },
      },
      config: {
        ...readBuildsConfig(config),
        ...(sourceHost ? { sources: [{ host: sourceHost }] } : {}),
      },
      runner,
      registries,
      releases,
      events: new BuildLogEvents(),
      logger: mockServices.logger.mock(),
      activity: {
        async record(entry) {
          activity.push(entry);
        },
      },
    });
    const queued = async (overrides: Partial<NewBuild> = {}) => {
      const build = await store.createBuild({
        service: 'component:default/payment-gateway',
        ref: 'main',
        commit: 'a'.repeat(40),
        trigger: 'ui',
        triggeredBy: 'user:default/alice',
        runner: 'local',
        image: `${REGISTRY}/payments/payment-gateway:aaaaaaaaaaaa`,
        sourceKey: 'http://git.northwind.example/payments/payment-gateway',
        dockerfileSource: 'generated',
        ...overrides,
      });
      return build;
    };
    /** Waits until the queue has nothing running (a build's last writes are done). */
    const settled = async () => {
      while (!queue.idle) await new Promise(resolve => setTimeout(resolve, 20));
    };
    const until = async (check: () => boolean | Promise<boolean>) => {
      while (!(await check()))
        await new Promise(resolve => setTimeout(resolve, 20));
    };
    return {
      knex,
      store,
      runner,
      pushed,
      released,
      activity,
      queue,
      queued,
      settled,
      until,
    };
  }

  it('runs up to the concurrency, one build per service, and the next when one ends', async () => {
    const { store, runner, pushed, activity, queue, queued, until, settled } =
      await setup();
    const a1 = await queued();
    const a2 = await queued();
    const b1 = await queued({
      service: 'component:default/ledger',
      image: `${REGISTRY}/payments/ledger:aaaaaaaaaaaa`,
    });
    await queue.tick();
    await until(() => runner.running(a1.id) && runner.running(b1.id));
    expect(runner.running(a2.id)).toBe(false);
    expect(runner.jobs.map(j => j.serviceId).sort()).toEqual([
      'payments-ledger',
      'payments-payment-gateway',
    ]);
    pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    runner.settle(a1.id, { result: 'pushed' });
    await until(() => runner.running(a2.id));
    expect(await store.getBuild(a1.id)).toMatchObject({
      status: 'succeeded',
      imageDigest: `sha256:${'c'.repeat(64)}`,
    });
    runner.settle(a2.id, { result: 'failed', reason: 'RUN npm ci failed' });
    runner.settle(b1.id, { result: 'pushed' });
    await until(
      async () => (await store.getBuild(b1.id))!.status !== 'running',
    );
    await settled();
    expect(await store.getBuild(a2.id)).toMatchObject({
      status: 'failed',
      reason: 'RUN npm ci failed',
    });
    // The runner said pushed; the registry has nothing.
    expect(await store.getBuild(b1.id)).toMatchObject({
      status: 'failed',
      reason: `the build pushed nothing to ${REGISTRY}/payments/ledger:aaaaaaaaaaaa`,
    });
    expect((await store.readLog(b1.id, 0)).text).toContain(
      'STEP 1/1: FROM base of 1',
    );
    // Each end is in the service's activity log.
    expect(activity).toEqual(
      expect.arrayContaining([
        {
          service: 'component:default/payment-gateway',
          actor: 'user:default/alice',
          action: 'k2.build.end',
          summary: `Build 1 of main (aaaaaaaaaaaa) succeeded: ${REGISTRY}/payments/payment-gateway:aaaaaaaaaaaa`,
          result: 'succeeded',
        },
        expect.objectContaining({
          service: 'component:default/payment-gateway',
          summary: 'Build 2 of main (aaaaaaaaaaaa) failed: RUN npm ci failed',
          result: 'failed',
        }),
      ]),
    );
  });

  it('fails a build whose Dockerfile has a lint error before the runner starts, and one whose Dockerfile leads out of the repository', async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-build-queue-'));
    const git = await startGitServer({
      root: path.join(work, 'git'),
      port: 0,
      pushToken: 'push-token-1',
    });
    try {
      const created = await fetch(`${git.url}/api/repos`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('k2:push-token-1').toString(
            'base64',
          )}`,
        },
        body: JSON.stringify({ owner: 'payments', name: 'gateway' }),
      });
      const { cloneUrl } = await created.json();
      const checkout = path.join(work, 'checkout');
      await fs.mkdir(checkout);
      const g = (...args: string[]) =>
        execFileAsync('git', args, {
          cwd: checkout,
          env: {
            PATH: process.env.PATH,
            HOME: work,
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_AUTHOR_NAME: 'A',
            GIT_AUTHOR_EMAIL: 'a@example.com',
            GIT_COMMITTER_NAME: 'A',
            GIT_COMMITTER_EMAIL: 'a@example.com',
          },
        });
      await g('init', '-q', '-b', 'main');
      await fs.writeFile(
        path.join(checkout, 'Dockerfile'),
        'FROM registry.northwind.example/k2-base/busybox:1.35.0\nUSER root\n',
      );
      await fs.symlink('/etc/hostname', path.join(checkout, 'escape'));
      await g('add', 'Dockerfile', 'escape');
      await g('commit', '-q', '-m', 'Dockerfiles');
      const commit = (await g('rev-parse', 'HEAD')).stdout.trim();
      const url = new URL(cloneUrl);
      url.username = 'k2';
      url.password = 'push-token-1';
      await g('push', '-q', url.href, 'main');

      const source = { 'backstage.io/source-location': `url:${cloneUrl}` };
      const { store, runner, queue, queued, settled, until } = await setup(
        [
          entity('payment-gateway', {
            ...source,
            'k2.io/dockerfile': 'Dockerfile',
          }),
          entity('ledger', { ...source, 'k2.io/dockerfile': 'escape' }),
        ],
        new URL(git.url).host,
      );
      const linted = await queued({ commit, dockerfileSource: 'repository' });
      const escaping = await queued({
        commit,
        service: 'component:default/ledger',
        dockerfileSource: 'repository',
      });
      await queue.tick();
      await until(
        async () => (await store.getBuild(linted.id))!.status === 'failed',
      );
      await until(
        async () => (await store.getBuild(escaping.id))!.status === 'failed',
      );
      await settled();
      expect(runner.jobs).toEqual([]);
      const failed = (await store.getBuild(linted.id))!;
      expect(failed.reason).toMatch(
        /^The Dockerfile has 1 error; the first, line 2: /,
      );
      expect(failed.dockerfile).toContain('USER root');
      expect(failed.dockerfileProblems).toContainEqual(
        expect.objectContaining({
          rule: 'root-user',
          severity: 'error',
          line: 2,
        }),
      );
      expect(await store.getBuild(escaping.id)).toMatchObject({
        reason: 'escape points outside the repository',
      });
      expect((await store.getBuild(escaping.id))!.dockerfile).toBeUndefined();
    } finally {
      await git.close();
      await fs.rm(work, { recursive: true, force: true });
    }
  });

  it('ends a build that outlives the timeout as timed-out', async () => {
    const { store, runner, queue, queued, until, settled } = await setup();
    const build = await queued();
    await queue.tick();
    await until(() => runner.running(build.id));
    runner.settle(build.id, { result: 'timed-out' });
    await until(
      async () => (await store.getBuild(build.id))!.status !== 'running',
    );
    await settled();
    expect(await store.getBuild(build.id)).toMatchObject({
      status: 'timed-out',
      reason: 'The build ran longer than 2 seconds (k2.builds.timeout)',
    });
  });

  it('cancels a running build asked from another replica (through the store)', async () => {
    const { store, runner, queue, queued, until, settled } = await setup();
    const build = await queued();
    await queue.tick();
    await until(() => runner.running(build.id));
    await store.requestCancel(build.id, 'Cancelled by user:default/alice');
    await until(
      async () => (await store.getBuild(build.id))!.status !== 'running',
    );
    await settled();
    // Who cancelled it, as on the replica the cancel was asked on.
    expect(await store.getBuild(build.id)).toMatchObject({
      status: 'cancelled',
      reason: 'Cancelled by user:default/alice',
    });
    expect((await store.readLog(build.id, 0)).text).toContain(
      `Build ${build.number} cancelled: Cancelled by user:default/alice\n`,
    );
  });

  it('releases a succeeded build as the user who started it, and a push’s build as the plugin', async () => {
    const { store, runner, pushed, released, queue, queued, until, settled } =
      await setup();
    pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    const user = await queued({ releaseTo: 'test' });
    const credentials = {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/alice' },
    } as any;
    queue.enqueued(user, credentials);
    await until(() => runner.running(user.id));
    runner.settle(user.id, { result: 'pushed' });
    await until(
      async () => (await store.getBuild(user.id))!.release !== undefined,
    );
    const push = await queued({
      releaseTo: 'test',
      trigger: 'webhook',
      triggeredBy: 'push by alice',
    });
    queue.enqueued(push, undefined);
    await until(() => runner.running(push.id));
    runner.settle(push.id, { result: 'pushed' });
    await until(
      async () => (await store.getBuild(push.id))!.release !== undefined,
    );
    await settled();
    expect(released.map(r => r.onBehalfOf)).toEqual([credentials, 'plugin']);
    expect(released[0]).toMatchObject({
      service: { namespace: 'default', name: 'payment-gateway' },
      environment: 'test',
      image: `${REGISTRY}/payments/payment-gateway:aaaaaaaaaaaa`,
    });
    expect((await store.getBuild(user.id))!.release).toEqual({
      id: 'r-1',
      number: 4,
      environment: 'test',
    });
  });

  it('records a build’s end when the database fails for a moment, and starts the next', async () => {
    const { store, runner, pushed, queue, queued, until, settled } =
      await setup();
    const transition = store.transition.bind(store);
    let failures = 1;
    jest
      .spyOn(store, 'transition')
      .mockImplementation(async (id, from, patch) => {
        if (patch.status === 'succeeded' && failures-- > 0) {
          throw new Error('Connection terminated unexpectedly');
        }
        return transition(id, from, patch);
      });
    pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    const first = await queued();
    const second = await queued({ ref: 'feature/x' });
    await queue.tick();
    await until(() => runner.running(first.id));
    runner.settle(first.id, { result: 'pushed' });
    // The next build of the service starts once the first has ended.
    await until(() => runner.running(second.id));
    expect(failures).toBe(-1);
    expect(await store.getBuild(first.id)).toMatchObject({
      status: 'succeeded',
    });
    runner.settle(second.id, { result: 'failed', reason: 'step 2 failed' });
    await settled();
    expect(await store.getBuild(second.id)).toMatchObject({
      status: 'failed',
    });
  });

  it('leaves a user’s build to release to the backend that queued it, which runs and releases it', async () => {
    const a = await setup();
    const b = await setup(undefined, undefined, a);
    a.pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    // B runs a build of the service; A queues the next one, to release as alice.
    const first = await a.queued();
    await b.queue.tick();
    await b.until(() => b.runner.running(first.id));
    const credentials = {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/alice' },
    } as any;
    const second = await a.queued({ releaseTo: 'test', ref: 'feature/x' });
    a.queue.enqueued(second, credentials);
    // The first build ends on B, whose next tick leaves the second to A.
    b.runner.settle(first.id, { result: 'failed', reason: 'step 1 failed' });
    await b.settled();
    await b.queue.tick();
    expect((await a.store.getBuild(second.id))!.status).toBe('queued');
    // A looks by itself, runs it and releases it as alice.
    await a.until(() => a.runner.running(second.id));
    a.runner.settle(second.id, { result: 'pushed' });
    await a.until(
      async () => (await a.store.getBuild(second.id))!.status !== 'running',
    );
    await a.settled();
    expect(b.runner.jobs.map(j => j.id)).toEqual([first.id]);
    expect(a.released).toEqual([
      expect.objectContaining({ environment: 'test', onBehalfOf: credentials }),
    ]);
    expect(await a.store.getBuild(second.id)).toMatchObject({
      status: 'succeeded',
      release: { id: 'r-1', number: 4, environment: 'test' },
    });
  });

  it('runs a user’s build to release that waited 10 minutes for the backend that queued it, unreleased, and says why', async () => {
    const {
      knex,
      store,
      runner,
      pushed,
      released,
      queue,
      queued,
      until,
      settled,
    } = await setup();
    pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    // Queued by another backend (or before a restart) 11 minutes ago: no credentials here.
    const build = await queued({ releaseTo: 'test' });
    await queue.tick();
    expect((await store.getBuild(build.id))!.status).toBe('queued');
    await knex('k2_builds')
      .where({ id: build.id })
      .update({ created_at: new Date(Date.now() - 11 * 60_000).toISOString() });
    await queue.tick();
    await until(() => runner.running(build.id));
    runner.settle(build.id, { result: 'pushed' });
    await until(
      async () => (await store.getBuild(build.id))!.status !== 'running',
    );
    await settled();
    expect(released).toEqual([]);
    expect(await store.getBuild(build.id)).toMatchObject({
      status: 'succeeded',
    });
    expect((await store.readLog(build.id, 0)).text).toContain(
      `[k2] Not released to test: the release goes as user:default/alice, whose sign-in only the backend that queued the build holds, and that backend restarted or did not start the build within 10 minutes; release ${REGISTRY}/payments/payment-gateway:aaaaaaaaaaaa from the Deploy tab\n`,
    );
  });

  it('never takes over a build another replica is running, at its start or later', async () => {
    const a = await setup();
    const build = await a.queued();
    await a.queue.tick();
    await a.until(() => a.runner.running(build.id));
    // Replica B starts (and its scheduled recovery runs) while A builds.
    const b = await setup(undefined, undefined, a);
    b.runner.resume = async () => {
      throw new Error('replica B must not follow the build');
    };
    await b.queue.recover();
    await b.queue.recover();
    expect(await b.store.getBuild(build.id)).toMatchObject({
      status: 'running',
    });
    expect(b.runner.jobs).toEqual([]);
    // A's build ends as its runner says.
    a.pushed.add('payments/payment-gateway:aaaaaaaaaaaa');
    a.runner.settle(build.id, { result: 'pushed' });
    await a.until(
      async () => (await a.store.getBuild(build.id))!.status !== 'running',
    );
    await a.settled();
    expect(await a.store.getBuild(build.id)).toMatchObject({
      status: 'succeeded',
      imageDigest: `sha256:${'c'.repeat(64)}`,
    });
  });

  it('fails local builds a stopped backend left running, and resumes them where the runner can', async () => {
    const first = await setup();
    const build = await first.queued();
    await first.queue.tick();
    await first.until(() => first.runner.running(build.id));
    first.queue.stop();
    await first.settled();
    expect((await first.store.getBuild(build.id))!.status).toBe('running');
    // Its heartbeat just stopped: not abandoned yet.
    const next = await setup(undefined, undefined, first);
    await next.queue.recover();
    expect((await first.store.getBuild(build.id))!.status).toBe('running');
    await first
      .knex('k2_builds')
      .where({ id: build.id })
      .update({
        heartbeat_at: new Date(Date.now() - 2 * 60_000).toISOString(),
      });

    // The next start, a minute later, without resume: failed.
    await next.queue.recover();
    expect(await first.store.getBuild(build.id)).toMatchObject({
      status: 'failed',
      reason: 'interrupted by a backend restart',
    });
    expect(
      (await first.store.readLog(build.id, 0)).text.split('\n').slice(-2),
    ).toEqual(['[k2] The build was interrupted by a backend restart.', '']);
    // Its end is in the service’s activity log, as every build’s is.
    expect(next.activity).toEqual([
      expect.objectContaining({
        service: 'component:default/payment-gateway',
        action: 'k2.build.end',
        result: 'failed',
        summary: `Build 1 of main (${'a'.repeat(
          12,
        )}) failed: interrupted by a backend restart`,
      }),
    ]);

    // With resume, the build is followed again.
    const second = await setup();
    const resumable = await second.queued();
    await second.store.transition(resumable.id, ['queued'], {
      status: 'running',
      dockerfile: 'FROM scratch\n',
    });
    // Left by a backend that stopped before its first heartbeat.
    const resumed: string[] = [];
    second.runner.resume = async job => {
      resumed.push(job.id);
      return { result: 'failed', reason: 'the Job failed' };
    };
    await second.queue.recover();
    await second.until(
      async () =>
        (await second.store.getBuild(resumable.id))!.status !== 'running',
    );
    await second.settled();
    expect(resumed).toEqual([resumable.id]);
    expect(await second.store.getBuild(resumable.id)).toMatchObject({
      status: 'failed',
      reason: 'the Job failed',
    });
    expect(new BackendStoppingReason().message).toBe(
      'Stopped: the backend stopped',
    );
  });
});
