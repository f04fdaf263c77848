import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  lintDockerfile,
  MAX_DOCKERFILE_LENGTH,
  renderDockerfile,
} from '@internal/plugin-k2-builds-common';
import { K2ActivityLog, K2ServiceResolver } from '@internal/plugin-k2-node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BuildsConfig } from '../config/readBuildsConfig';
import { BuildStore, StoredBuild } from '../database/BuildStore';
import { BuildLogEvents, BuildLogWriter } from '../logs/BuildLogWriter';
import {
  BackendStoppingReason,
  BuildJob,
  BuildOutcome,
  BuildRunner,
} from '../runners/types';
import { cloneAt, gitEnv } from '../sources';
import { BuildPlan, planBuild, requireBuildable } from './BuildPlanner';
import { ImageRegistries, ReleaseStarter } from './types';

/** How often a running build looks for a cancel asked on another replica. */
const CANCEL_POLL_MS = 1000;
/** How long past its timeout a runner may take to end a build before K2 aborts it. */
const TIMEOUT_GRACE_MS = 60_000;
/** How often the replica running a build says so in the store. */
const HEARTBEAT_MS = 10_000;
/**
 * How long a user's build to release is left to the backend that queued it (which alone
 * holds the user's sign-in) before another may run it, unreleased.
 */
const RELEASER_WAIT_MS = 10 * 60_000;
/** How often a backend holding users' sign-ins looks for their builds' turn. */
const RELEASER_TICK_MS = 5_000;
/** The waits before recording a build's end is tried again. */
const END_RETRY_MS = [500, 2_000, 5_000];
/** A running build whose heartbeat is older was left by a backend that stopped. */
const ABANDONED_AFTER_MS = 60_000;

type Ended = {
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed-out';
  reason?: string;
  imageDigest?: string;
};

/** A build that fails before or after its runner, with one line saying why. */
class BuildFailure extends Error {}

/** Why a build was aborted: a cancel. */
class CancelReason extends Error {}
/** The backstop of a runner that did not end a build at its timeout. */
class TimeoutReason extends Error {}

function parseServiceKey(key: string) {
  const [, namespace, name] = /^[^:]+:([^/]+)\/(.+)$/.exec(key)!;
  return { namespace, name };
}

/** A DNS-1123 label naming the service in Kubernetes objects (`payments-core-payment-gateway`). */
function serviceIdOf(namespace: string, kubernetesId: string): string {
  return `${namespace}-${kubernetesId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

/**
 * Runs queued builds: claims them from the store (up to the runner's concurrency, one
 * per service, compare-and-set so replicas never run one twice), reads or renders the
 * Dockerfile and lints it, runs the runner, reads the image back from the registry and
 * starts the release. Cancels and timeouts abort the runner.
 */
export class BuildQueue {
  readonly #store: BuildStore;
  readonly #resolver: Pick<K2ServiceResolver, 'service'>;
  readonly #config: BuildsConfig;
  readonly #runner: BuildRunner;
  readonly #registries: ImageRegistries;
  readonly #releases: ReleaseStarter;
  readonly #events: BuildLogEvents;
  readonly #logger: LoggerService;
  readonly #activity: Pick<K2ActivityLog, 'record'>;
  readonly #abandonedAfterMs: number;
  /** Builds running here, by id. */
  readonly #running = new Map<string, AbortController>();
  /**
   * Credentials of users whose builds release when they succeed, held in memory only
   * (never stored) until then.
   */
  readonly #releasers = new Map<string, BackstageCredentials>();
  #releaserTicks: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: {
    store: BuildStore;
    resolver: Pick<K2ServiceResolver, 'service'>;
    config: BuildsConfig;
    runner: BuildRunner;
    registries: ImageRegistries;
    releases: ReleaseStarter;
    events: BuildLogEvents;
    logger: LoggerService;
    /** Where each build's end is recorded in the service's activity log. */
    activity: Pick<K2ActivityLog, 'record'>;
    /** How old a running build's heartbeat is when its replica is taken for stopped (60 s). */
    abandonedAfterMs?: number;
  }) {
    this.#activity = options.activity;
    this.#abandonedAfterMs = options.abandonedAfterMs ?? ABANDONED_AFTER_MS;
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#config = options.config;
    this.#runner = options.runner;
    this.#registries = options.registries;
    this.#releases = options.releases;
    this.#events = options.events;
    this.#logger = options.logger;
  }

  /** A build was queued: start it now if there is room. */
  enqueued(build: StoredBuild, releaser: BackstageCredentials | undefined) {
    if (releaser) {
      this.#releasers.set(build.id, releaser);
      // Its turn may come while another backend's scheduled tick runs, which leaves
      // it to this one: this one looks too, while it holds sign-ins.
      this.#releaserTicks ??= setInterval(
        () => void this.#tickForReleasers(),
        RELEASER_TICK_MS,
      ).unref();
    }
    this.tick();
  }

  async #tickForReleasers() {
    try {
      for (const id of this.#releasers.keys()) {
        if (this.#running.has(id)) continue;
        const build = await this.#store.getBuild(id);
        // Cancelled or superseded while queued: it never runs.
        if (build?.status !== 'queued') this.#releasers.delete(id);
      }
    } catch (error) {
      this.#logger.warn(`Could not read the builds queued here: ${error}`);
    }
    if (this.#releasers.size === 0) {
      clearInterval(this.#releaserTicks);
      this.#releaserTicks = undefined;
      return;
    }
    await this.tick();
  }

  /** A user's build to release that another backend queued, and holds the sign-in for. */
  #othersToRelease = (build: StoredBuild) =>
    build.releaseTo !== undefined &&
    build.trigger !== 'webhook' &&
    !this.#releasers.has(build.id) &&
    Date.now() - Date.parse(build.createdAt) < RELEASER_WAIT_MS;

  /**
   * Starts what the concurrency allows; resolves once the claimed builds have started
   * (not ended). Calls while one runs make it look again once done.
   */
  tick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      try {
        do {
          this.#again = false;
          const claimed = await this.#store.claimQueued(
            this.#runner.kind,
            this.#config.concurrency,
            this.#othersToRelease,
          );
          for (const build of claimed) void this.#run(build, false);
        } while (this.#again && !this.#stopped);
      } catch (error) {
        this.#logger.error(`Could not start queued builds: ${error}`);
      } finally {
        this.#ticking = undefined;
      }
    })();
    return this.#ticking;
  }

  /**
   * Builds left `running` by a backend that stopped (no heartbeat for a minute; never
   * one a live replica runs): resumed where the runner can find them again (Kubernetes
   * Jobs), else failed. At start and with each queue tick of the scheduler.
   */
  async recover(): Promise<void> {
    if (this.#stopped) return;
    const abandoned = await this.#store.claimAbandoned(
      this.#runner.kind,
      new Date(Date.now() - this.#abandonedAfterMs),
    );
    for (const build of abandoned) {
      if (this.#running.has(build.id)) continue;
      if (this.#runner.resume) {
        void this.#run(build, true);
        continue;
      }
      // Taken over above, so the line goes first: a log is complete before its
      // build's status says it ended.
      const ended: Ended = {
        status: 'failed',
        reason: 'interrupted by a backend restart',
      };
      await this.#store.appendLog(
        build.id,
        '[k2] The build was interrupted by a backend restart.\n',
      );
      const failed = await this.#store.transition(build.id, ['running'], {
        ...ended,
        finishedAt: new Date().toISOString(),
      });
      if (failed) {
        this.#events.notify(build.id);
        await this.#recordEnd(build, ended);
      }
    }
  }

  /** Stops a running build: here at once, on another replica when it next looks. */
  async cancel(id: string, reason: string): Promise<void> {
    await this.#store.requestCancel(id, reason);
    this.#running.get(id)?.abort(new CancelReason(reason));
  }

  /**
   * The backend is stopping: every build running here is aborted and left `running`,
   * for {@link BuildQueue.recover} at the next start (resumed or failed).
   */
  stop() {
    this.#stopped = true;
    clearInterval(this.#releaserTicks);
    for (const controller of this.#running.values()) {
      controller.abort(new BackendStoppingReason());
    }
  }

  /** Whether builds are running here (tests wait for them to end). */
  get idle(): boolean {
    return this.#running.size === 0 && !this.#ticking;
  }

  async #run(build: StoredBuild, resume: boolean): Promise<void> {
    const controller = new AbortController();
    this.#running.set(build.id, controller);
    const log = new BuildLogWriter(
      build.id,
      this.#store,
      this.#events,
      this.#logger,
    );
    const cancelPoll = setInterval(async () => {
      try {
        const current = await this.#store.getBuild(build.id);
        if (current?.cancelRequestedAt && !controller.signal.aborted) {
          controller.abort(new CancelReason(current.reason ?? 'Cancelled'));
        }
      } catch {
        // The next poll tries again.
      }
    }, CANCEL_POLL_MS);
    const heartbeat = setInterval(async () => {
      try {
        await this.#store.heartbeat(build.id);
      } catch (error) {
        this.#logger.warn(
          `Could not record that build ${build.id} still runs here: ${error}`,
        );
      }
    }, HEARTBEAT_MS);
    const backstop = setTimeout(
      () => controller.abort(new TimeoutReason()),
      this.#config.timeoutMs + TIMEOUT_GRACE_MS,
    );
    let ended: Ended;
    try {
      ended = await this.#build(build, resume, log, controller.signal);
    } catch (error) {
      const aborted = controller.signal.reason;
      if (aborted instanceof CancelReason) {
        // Cancelled before the runner started (reading the source, say).
        ended = { status: 'cancelled', reason: aborted.message };
      } else if (aborted instanceof TimeoutReason) {
        ended = { status: 'timed-out', reason: this.#timeoutReason() };
      } else {
        ended = {
          status: 'failed',
          reason:
            error instanceof BuildFailure
              ? error.message
              : `K2 could not run the build: ${(error as Error).message}`,
        };
      }
    }
    clearInterval(cancelPoll);
    clearInterval(heartbeat);
    clearTimeout(backstop);
    if (controller.signal.reason instanceof BackendStoppingReason) {
      log.line('The backend stopped; the build is picked up at its next start');
      await log.close();
      this.#running.delete(build.id);
      return;
    }
    // The release goes with the build's end: a build shown succeeded already names it.
    const releaser = this.#releasers.get(build.id);
    this.#releasers.delete(build.id);
    const release =
      ended.status === 'succeeded' && build.releaseTo
        ? await this.#release(build, releaser, log)
        : undefined;
    const reasonLine = ended.reason ? `: ${ended.reason}` : '';
    log.line(`Build ${build.number} ${ended.status}${reasonLine}`);
    await log.close();
    try {
      await this.#recordStatus(build, ended, release);
      this.#events.notify(build.id);
      await this.#recordEnd(build, ended);
    } finally {
      this.#running.delete(build.id);
      void this.tick();
    }
  }

  /**
   * The build's end in its row, tried again while the database fails for a moment: a
   * build whose end is not recorded shows `running` until the queue takes it over as
   * abandoned, and is then built or failed a second time.
   */
  async #recordStatus(
    build: StoredBuild,
    ended: Ended,
    release: { id: string; number: number } | undefined,
  ) {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#store.transition(build.id, ['running'], {
          status: ended.status,
          reason: ended.reason?.split('\n')[0].slice(0, 1000) ?? null,
          imageDigest: ended.imageDigest,
          release,
          finishedAt: new Date().toISOString(),
        });
        return;
      } catch (error) {
        if (attempt >= END_RETRY_MS.length) {
          this.#logger.error(
            `Could not record that build ${build.number} of ${build.service} ${ended.status}: ${error}`,
          );
          return;
        }
        await new Promise(resolve =>
          setTimeout(resolve, END_RETRY_MS[attempt]),
        );
      }
    }
  }

  async #build(
    build: StoredBuild,
    resume: boolean,
    log: BuildLogWriter,
    signal: AbortSignal,
  ): Promise<Ended> {
    const service = await this.#resolver.service(build.service);
    let plan: ReturnType<typeof requireBuildable>;
    try {
      plan = requireBuildable(
        planBuild(service, this.#config, this.#registries.hosts),
      );
    } catch (error) {
      throw new BuildFailure((error as Error).message);
    }
    const registryHost = plan.image.registryHost;
    log.line(
      `Build ${build.number} of ${service.ref}: ${build.ref} at ${build.commit} → ${build.image}`,
    );
    const dockerfile = resume
      ? build.dockerfile ?? ''
      : await this.#dockerfile(build, plan, log, signal);
    if (!resume) {
      const problems = lintDockerfile(dockerfile, { port: service.spec.port });
      await this.#store.transition(build.id, ['running'], {
        dockerfile,
        dockerfileProblems: problems,
      });
      for (const p of problems) {
        log.line(`Dockerfile line ${p.line}: ${p.severity}: ${p.message}`);
      }
      const errors = problems.filter(p => p.severity === 'error');
      if (errors.length > 0) {
        throw new BuildFailure(
          `The Dockerfile has ${errors.length} error${
            errors.length === 1 ? '' : 's'
          }; the first, line ${errors[0].line}: ${errors[0].message}`,
        );
      }
      const available = await this.#runner.available();
      if (!available.ok) {
        throw new BuildFailure(`Builds cannot run here: ${available.reason}`);
      }
    }
    const job: BuildJob = {
      id: build.id,
      number: build.number,
      service: build.service,
      environments: service.spec.targets.map(t => t.environment.name),
      serviceId: serviceIdOf(
        service.spec.targets[0]?.namespace ??
          service.entity.metadata.namespace ??
          'default',
        service.spec.kubernetesId,
      ),
      source: { url: plan.source.url, ref: build.ref, commit: build.commit! },
      dockerfile,
      target: { image: build.image, registryHost },
      timeoutMs: this.#config.timeoutMs,
    };
    let outcome: BuildOutcome;
    try {
      outcome =
        resume && this.#runner.resume
          ? await this.#runner.resume(job, log, signal)
          : await this.#runner.run(job, log, signal);
    } catch (error) {
      if (!signal.aborted) throw error;
      outcome = { result: 'cancelled' };
    }
    if (signal.aborted && signal.reason instanceof TimeoutReason) {
      return { status: 'timed-out', reason: this.#timeoutReason() };
    }
    if (outcome.result === 'cancelled') {
      return {
        status: 'cancelled',
        reason:
          signal.reason instanceof CancelReason
            ? signal.reason.message
            : 'Cancelled',
      };
    }
    if (outcome.result === 'timed-out') {
      return { status: 'timed-out', reason: this.#timeoutReason() };
    }
    if (outcome.result === 'failed') {
      return { status: 'failed', reason: outcome.reason };
    }
    // Pushed, says the runner: the registry decides.
    const tag = build.image.slice(build.image.lastIndexOf(':') + 1);
    log.line(`Reading ${build.image} back from ${registryHost}`);
    let manifest: { digest: string } | undefined;
    try {
      manifest = await this.#registries.manifest(
        registryHost,
        plan.image.path,
        tag,
      );
    } catch (error) {
      throw new BuildFailure(
        `The registry could not be checked: ${(error as Error).message}`,
      );
    }
    if (!manifest) {
      throw new BuildFailure(`the build pushed nothing to ${build.image}`);
    }
    log.line(`${build.image} is ${manifest.digest}`);
    return { status: 'succeeded', imageDigest: manifest.digest };
  }

  /** The build's end in the service's activity log; never fails the build. */
  async #recordEnd(build: StoredBuild, ended: Ended) {
    try {
      await this.#activity.record({
        service: build.service,
        actor:
          build.trigger === 'webhook'
            ? 'service:plugin:k2-builds'
            : build.triggeredBy,
        action: 'k2.build.end',
        summary: `Build ${build.number} of ${build.ref} (${build.commit?.slice(
          0,
          12,
        )}) ${ended.status}${
          ended.status === 'succeeded'
            ? `: ${build.image}`
            : `: ${ended.reason ?? ''}`
        }`.slice(0, 2000),
        result: ended.status === 'succeeded' ? 'succeeded' : 'failed',
      });
    } catch (error) {
      this.#logger.warn(
        `Could not record the end of build ${build.number} of ${build.service} in its activity log: ${error}`,
      );
    }
  }

  #timeoutReason() {
    const ms = this.#config.timeoutMs;
    const length =
      ms < 120_000
        ? `${Math.round(ms / 1000)} seconds`
        : `${Math.round(ms / 60_000)} minutes`;
    return `The build ran longer than ${length} (k2.builds.timeout)`;
  }

  /** The Dockerfile: rendered from the template, or read from the commit built. */
  async #dockerfile(
    build: StoredBuild,
    plan: BuildPlan & Required<Pick<BuildPlan, 'source' | 'dockerfile'>>,
    log: BuildLogWriter,
    signal: AbortSignal,
  ): Promise<string> {
    if (plan.dockerfile.source === 'generated') {
      const rendered = renderDockerfile(plan.dockerfile.spec);
      log.line(
        `Dockerfile: generated from the ${rendered.template} template (${rendered.buildImage}, ${rendered.runtimeImage})`,
      );
      return rendered.text;
    }
    const file = plan.dockerfile.path;
    log.line(`Dockerfile: ${file} of the repository`);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'k2-build-source-'));
    try {
      await cloneAt(
        plan.source.url,
        build.ref,
        build.commit!,
        path.join(dir, 'repo'),
        gitEnv(this.#config.sources, plan.source.url),
        signal,
      );
      const root = await fs.realpath(path.join(dir, 'repo'));
      let real: string;
      try {
        real = await fs.realpath(path.join(root, file));
      } catch {
        throw new BuildFailure(
          `${file} is not in ${build.ref} at ${build.commit}`,
        );
      }
      // A link may not lead K2 to read a file outside the repository.
      if (!real.startsWith(`${root}${path.sep}`)) {
        throw new BuildFailure(`${file} points outside the repository`);
      }
      const stat = await fs.stat(real);
      if (!stat.isFile() || stat.size > MAX_DOCKERFILE_LENGTH) {
        throw new BuildFailure(
          `${file} is not a file of at most ${MAX_DOCKERFILE_LENGTH} bytes`,
        );
      }
      return await fs.readFile(real, 'utf8');
    } catch (error) {
      if (error instanceof BuildFailure) throw error;
      throw new BuildFailure(
        `The Dockerfile could not be read: ${(error as Error).message}`,
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** Starts the release of a built image; undefined (and a line in the log) when it was not. */
  async #release(
    build: StoredBuild,
    releaser: BackstageCredentials | undefined,
    log: BuildLogWriter,
  ): Promise<{ id: string; number: number } | undefined> {
    const environment = build.releaseTo!;
    if (build.trigger !== 'webhook' && !releaser) {
      log.line(
        `Not released to ${environment}: the release goes as ${
          build.triggeredBy
        }, whose sign-in only the backend that queued the build holds, and that backend restarted or did not start the build within ${
          RELEASER_WAIT_MS / 60_000
        } minutes; release ${build.image} from the Deploy tab`,
      );
      return undefined;
    }
    try {
      const { namespace, name } = parseServiceKey(build.service);
      const release = await this.#releases.release({
        service: { namespace, name },
        environment,
        image: build.image,
        onBehalfOf: build.trigger === 'webhook' ? 'plugin' : releaser!,
      });
      log.line(
        `Release ${release.number} of ${build.image} to ${environment} started`,
      );
      return release;
    } catch (error) {
      log.line(
        `The release to ${environment} was not started: ${
          (error as Error).message
        }`,
      );
      return undefined;
    }
  }
}
