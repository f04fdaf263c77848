import {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  K2Build,
  K2BuildDockerfile,
  K2BuildInput,
  K2BuildList,
  K2BuildSettings,
} from '@internal/plugin-k2-builds-common';
import {
  k2BuildLogsReadPermission,
  k2BuildReadPermission,
  k2BuildRunPermission,
  k2ReleaseCreatePermission,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ResolvedService,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { BuildsConfig } from '../config/readBuildsConfig';
import {
  BuildStore,
  BuildTrigger,
  FINISHED_STATUSES,
  StoredBuild,
} from '../database/BuildStore';
import { BuildLogEvents } from '../logs/BuildLogWriter';
import { BuildRunner } from '../runners/types';
import { gitEnv, resolveRef } from '../sources';
import {
  BuildPlan,
  planBuild,
  releaseProblem,
  requireBuildable,
} from './BuildPlanner';
import { BuildQueue } from './BuildQueue';
import { RepositoryOwnership } from './RepositoryOwnership';
import { ImageRegistries } from './types';

/** How often a followed log is read again when no event says it grew (another replica runs it). */
const FOLLOW_POLL_MS = 500;

const READ = { permission: k2BuildReadPermission, verb: 'read the builds of' };
const LOGS = {
  permission: k2BuildLogsReadPermission,
  verb: 'read the build logs of',
};
const RUN = { permission: k2BuildRunPermission, verb: 'build' };

/** The key builds are stored under: the entity ref, lower case. */
export const serviceKey = (service: K2ResolvedService) =>
  stringifyEntityRef(service.entity).toLocaleLowerCase('en-US');

/** A build as the API answers it. */
export function toApiBuild(build: StoredBuild): K2Build {
  return {
    id: build.id,
    service: build.service,
    number: build.number,
    ref: build.ref,
    commit: build.commit,
    commitMessage: build.commitMessage,
    trigger: build.trigger,
    triggeredBy: build.triggeredBy,
    status: build.status,
    reason: build.reason,
    runner: build.runner,
    image: build.image,
    imageDigest: build.imageDigest,
    dockerfileSource: build.dockerfileSource,
    releaseTo: build.releaseTo,
    release: build.release,
    createdAt: build.createdAt,
    startedAt: build.startedAt,
    finishedAt: build.finishedAt,
    logBytes: build.logBytes,
    logTruncated: build.logTruncated,
  };
}

/** Where the plan's Dockerfile comes from, as the settings answer it. */
function dockerfileOrigin(plan: BuildPlan): K2BuildSettings['dockerfile'] {
  if (plan.dockerfile?.source === 'repository') {
    return { source: 'repository', path: plan.dockerfile.path };
  }
  return { source: 'generated', template: plan.dockerfile?.template };
}

/** How a user's request reached K2: the scaffolder calls on behalf of its initiator. */
function triggerOf(credentials: BackstageCredentials): BuildTrigger {
  const principal = credentials.principal as {
    type: string;
    actor?: { subject?: string };
  };
  return principal.type === 'user' &&
    principal.actor?.subject === 'plugin:scaffolder'
    ? 'scaffolder'
    : 'ui';
}

/** A push to build: the service, the branch and commit pushed, who pushed, the delivery. */
export interface PushBuild {
  service: K2ResolvedService;
  branch: string;
  commit: string;
  commitMessage?: string;
  pusher: string;
  deliveryId: string;
}

/**
 * Builds of services: what a build would use, the history, starting (resolved in the
 * request, so bad input is a 400 that queues nothing) and cancelling, the Dockerfile a
 * build used and its log. Every decision goes through the action gate; running builds
 * is the {@link BuildQueue}'s.
 */
export class BuildService {
  readonly #store: BuildStore;
  readonly #resolver: Pick<K2ServiceResolver, 'service'>;
  readonly #gate: K2ActionGate;
  readonly #config: BuildsConfig;
  readonly #runner: BuildRunner;
  readonly #registries: ImageRegistries;
  readonly #queue: BuildQueue;
  readonly #events: BuildLogEvents;
  readonly #auth: AuthService;
  readonly #ownership: RepositoryOwnership;

  constructor(options: {
    store: BuildStore;
    resolver: Pick<K2ServiceResolver, 'service'>;
    gate: K2ActionGate;
    config: BuildsConfig;
    runner: BuildRunner;
    registries: ImageRegistries;
    queue: BuildQueue;
    events: BuildLogEvents;
    auth: AuthService;
    ownership: RepositoryOwnership;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#config = options.config;
    this.#runner = options.runner;
    this.#registries = options.registries;
    this.#queue = options.queue;
    this.#events = options.events;
    this.#auth = options.auth;
    this.#ownership = options.ownership;
  }

  /**
   * What a build of `service` would use, with every problem that keeps it from
   * building: its annotations and `k2.builds`, and an image repository or source
   * repository of another owner's service ({@link RepositoryOwnership}).
   */
  async plan(service: K2ResolvedService): Promise<BuildPlan> {
    const plan = planBuild(service, this.#config, this.#registries.hosts);
    plan.problems.push(...(await this.#ownership.problems(service, plan)));
    return plan;
  }

  async settings(ref: string, caller: Caller): Promise<K2BuildSettings> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, READ);
    const plan = await this.plan(service);
    const available = await this.#runner.available();
    return {
      runner: this.#runner.kind,
      available: available.ok,
      unavailableReason: available.ok ? undefined : available.reason,
      repository: plan.source?.url,
      defaultRef: plan.branch,
      image: plan.image?.repository,
      dockerfile: dockerfileOrigin(plan),
      releaseTo: plan.releaseTo,
      releaseTargets: plan.releaseTargets,
      problems: plan.problems,
    };
  }

  async list(
    ref: string,
    page: { limit?: number; before?: number },
    caller: Caller,
  ): Promise<K2BuildList> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, READ);
    const limit = page.limit ?? 20;
    const { items, total } = await this.#store.listBuilds(serviceKey(service), {
      limit,
      before: page.before,
    });
    const last = items[items.length - 1];
    return {
      items: items.map(toApiBuild),
      total,
      nextBefore:
        items.length === limit && last && last.number > 1
          ? last.number
          : undefined,
    };
  }

  async get(ref: string, number: number, caller: Caller): Promise<K2Build> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, READ);
    return toApiBuild(await this.#build(service, number));
  }

  /**
   * Queues a build of a ref (default: `k2.io/build-branch`, else the repository's
   * default branch), resolved to its commit now. A build of the same ref already
   * queued is answered instead (`created: false`).
   */
  async start(
    ref: string,
    input: K2BuildInput,
    caller: Caller,
  ): Promise<{ build: K2Build; created: boolean }> {
    const service = await this.#resolver.service(ref);
    return this.#gate.audited(
      caller,
      'k2.build.start',
      { service: service.ref, summary: 'Started a build' },
      RUN,
      async () => {
        const plan = requireBuildable(await this.plan(service));
        let releaseTo = plan.releaseTo;
        if (input.releaseTo === null) releaseTo = undefined;
        else if (input.releaseTo !== undefined) {
          const problem = releaseProblem(service, input.releaseTo, 'releaseTo');
          if (problem) throw new InputError(problem);
          releaseTo = input.releaseTo;
        }
        if (releaseTo) {
          // The release runs as this user once the build succeeds: refused now, not then.
          await this.#gate.authorize(service.ref, caller, {
            permission: k2ReleaseCreatePermission,
            verb: `release (releaseTo '${releaseTo}')`,
          });
        }
        const resolved = await resolveRef(
          plan.source.url,
          input.ref ?? plan.branch,
          gitEnv(this.#config.sources, plan.source.url),
        );
        const key = serviceKey(service);
        const tag = input.tag ?? resolved.commit.slice(0, 12);
        const { build, created } = await this.#store.queueUnlessQueued({
          service: key,
          ref: resolved.ref,
          commit: resolved.commit,
          commitMessage: resolved.message,
          trigger: triggerOf(caller.credentials),
          triggeredBy: actorOf(caller.credentials),
          runner: this.#runner.kind,
          image: `${plan.image.repository}:${tag}`,
          sourceKey: plan.source.key,
          dockerfileSource: plan.dockerfile.source,
          dockerfilePath:
            plan.dockerfile.source === 'repository'
              ? plan.dockerfile.path
              : undefined,
          dockerfileTemplate:
            plan.dockerfile.source === 'generated'
              ? plan.dockerfile.template
              : undefined,
          releaseTo,
        });
        if (!created) {
          return {
            build: toApiBuild(build),
            created: false,
            summary: `Build ${build.number} of ${resolved.ref} was already queued`,
          };
        }
        this.#queue.enqueued(build, releaseTo ? caller.credentials : undefined);
        return {
          build: toApiBuild(build),
          created: true,
          summary: `Started build ${build.number} of ${
            resolved.ref
          } (${resolved.commit.slice(0, 12)})${
            releaseTo ? `, to be released to ${releaseTo}` : ''
          }`,
        };
      },
    );
  }

  /** Queues the build of a push, as the builds plugin; older queued builds of the branch are superseded. */
  async startFromPush(push: PushBuild): Promise<StoredBuild> {
    const caller: Caller = {
      credentials: await this.#auth.getOwnServiceCredentials(),
    };
    return this.#gate.audited(
      caller,
      'k2.build.start',
      {
        service: push.service.ref,
        summary: `Started a build of a push by ${push.pusher}`,
      },
      RUN,
      async () => {
        const plan = requireBuildable(await this.plan(push.service));
        const key = serviceKey(push.service);
        const build = await this.#store.createBuild({
          service: key,
          ref: push.branch,
          commit: push.commit,
          commitMessage: push.commitMessage?.split('\n')[0]?.slice(0, 500),
          trigger: 'webhook',
          triggeredBy: `push by ${push.pusher}`.slice(0, 255),
          deliveryId: push.deliveryId,
          runner: this.#runner.kind,
          image: `${plan.image.repository}:${push.commit.slice(0, 12)}`,
          sourceKey: plan.source.key,
          dockerfileSource: plan.dockerfile.source,
          dockerfilePath:
            plan.dockerfile.source === 'repository'
              ? plan.dockerfile.path
              : undefined,
          dockerfileTemplate:
            plan.dockerfile.source === 'generated'
              ? plan.dockerfile.template
              : undefined,
          // Only where no approval is needed (the plan checked it).
          releaseTo: plan.releaseTo,
        });
        await this.#store.supersede(key, push.branch, build);
        this.#queue.enqueued(build, undefined);
        return {
          ...build,
          summary: `Started build ${build.number} of ${
            push.branch
          } (${push.commit.slice(0, 12)}) pushed by ${push.pusher}`,
        };
      },
    );
  }

  async cancel(ref: string, number: number, caller: Caller): Promise<K2Build> {
    const service = await this.#resolver.service(ref);
    return this.#gate.audited(
      caller,
      'k2.build.cancel',
      { service: service.ref, summary: `Cancelled build ${number}` },
      RUN,
      async () => {
        const build = await this.#build(service, number);
        if (FINISHED_STATUSES.includes(build.status)) {
          throw new ConflictError(
            `Build ${number} has already ended (${build.status})`,
          );
        }
        const reason = `Cancelled by ${actorOf(caller.credentials)}`;
        const cancelledQueued = await this.#store.transition(
          build.id,
          ['queued'],
          {
            status: 'cancelled',
            reason,
            finishedAt: new Date().toISOString(),
          },
        );
        if (cancelledQueued) {
          this.#events.notify(build.id);
        } else {
          await this.#queue.cancel(build.id, reason);
        }
        return toApiBuild((await this.#store.getBuild(build.id))!);
      },
    );
  }

  async dockerfile(
    ref: string,
    number: number,
    caller: Caller,
  ): Promise<K2BuildDockerfile> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, LOGS);
    const build = await this.#build(service, number);
    if (build.dockerfile === undefined) {
      throw new NotFoundError(
        `Build ${number} has not read or rendered its Dockerfile yet`,
      );
    }
    return {
      source: build.dockerfileSource,
      path: build.dockerfilePath,
      template: build.dockerfileTemplate,
      text: build.dockerfile,
      problems: build.dockerfileProblems ?? [],
    };
  }

  /**
   * The build's log from byte `offset`: all of it now, or (`follow`) as it is written
   * until the build ends. `write` gets each piece; `signal` stops following.
   */
  async logs(
    ref: string,
    number: number,
    options: { offset: number; follow: boolean; signal: AbortSignal },
    caller: Caller,
    write: (text: string) => Promise<void>,
  ): Promise<void> {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, LOGS);
    const { id } = await this.#build(service, number);
    let offset = options.offset;
    for (;;) {
      if (options.signal.aborted) return;
      // Status first: a build's log is complete before its status says it ended.
      const ended = FINISHED_STATUSES.includes(
        (await this.#store.getBuild(id))!.status,
      );
      const slice = await this.#store.readLog(id, offset);
      if (slice.text) await write(slice.text);
      const more = slice.nextOffset > offset;
      offset = slice.nextOffset;
      if (more) continue;
      if (!options.follow || ended) return;
      await this.#changed(id, options.signal);
    }
  }

  /** Resolves when the build's log may have grown here, after a poll interval, or on abort. */
  #changed(id: string, signal: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      const cleanups: Array<() => void> = [];
      const done = () => {
        for (const cleanup of cleanups) cleanup();
        resolve();
      };
      const timer = setTimeout(done, FOLLOW_POLL_MS);
      cleanups.push(() => clearTimeout(timer));
      cleanups.push(this.#events.subscribe(id, done));
      signal.addEventListener('abort', done);
      cleanups.push(() => signal.removeEventListener('abort', done));
    });
  }

  async #build(service: K2ResolvedService, number: number) {
    const build = await this.#store.getBuildByNumber(
      serviceKey(service),
      number,
    );
    if (!build) {
      throw new NotFoundError(`${service.ref} has no build ${number}`);
    }
    return build;
  }
}
