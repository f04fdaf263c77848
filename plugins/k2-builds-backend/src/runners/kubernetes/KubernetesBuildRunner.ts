import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  K2Environment,
  readEnvironmentModel,
} from '@internal/plugin-k2-common';
import {
  K2ClusterAccess,
  KubeApiError,
  KubeObject,
  readRegistries,
} from '@internal/plugin-k2-node';
import { setTimeout as delay } from 'node:timers/promises';
import { gitEnv, SourceHost } from '../../sources';
import {
  BackendStoppingReason,
  BuildJob,
  BuildLogSink,
  BuildOutcome,
  BuildRunner,
} from '../types';
import {
  BUILD_CONTAINER,
  BuildRegistry,
  BuildSourceAuth,
  buildJobName,
  LABEL_BUILD_ID,
  ownedBy,
  renderBuildJob,
  SOURCE_CONTAINER,
  validateBuildObjects,
} from './renderBuildJob';
import { containerStatus, LogFollower, message } from './LogFollower';
import {
  KubernetesBuildSettings,
  readKubernetesBuildSettings,
} from './settings';

/** Where one build runs. */
export interface BuildPlacement {
  cluster: string;
  namespace: string;
}

const DEFAULT_POLL_INTERVAL_MS = 2_000;
/** The runner's own bound past the Job's deadline, for a cluster that stops answering. */
const BACKSTOP_MS = 2 * 60_000;
/** Waiting reasons that never end by themselves: the build fails at once. */
const STUCK_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);
const REASON_LINES = 3;
const REASON_MAX = 600;

/** Waits `ms`, or less when `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

function trueCondition(object: KubeObject, type: string): any {
  return (object.status?.conditions ?? []).find(
    (c: any) => c.type === type && c.status === 'True',
  );
}

/**
 * Builds as Kubernetes Jobs with BuildKit rootless (ADR 0003, "Kubernetes"). A service
 * builds in the cluster and namespace of the first environment of its
 * `k2.io/environments` (`k2.environments[].builds`), everything through
 * {@link K2ClusterAccess}. The Job is found again by the build's id after a backend
 * restart ({@link KubernetesBuildRunner.resume}). Registry and source credentials go
 * into Secrets owned by the Job, never into its spec, the log or an error.
 */
export class KubernetesBuildRunner implements BuildRunner {
  readonly kind = 'kubernetes' as const;
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #settings: KubernetesBuildSettings;
  readonly #environments: K2Environment[];
  readonly #registries: Map<string, BuildRegistry>;
  readonly #sources: SourceHost[];
  readonly #pollIntervalMs: number;

  constructor(options: {
    config: Config;
    logger: LoggerService;
    access: K2ClusterAccess;
    /** How often a running Job is read. Default 2 s. */
    pollIntervalMs?: number;
  }) {
    const { config } = options;
    this.#access = options.access;
    this.#logger = options.logger.child({ component: 'k2-build-kubernetes' });
    this.#settings = readKubernetesBuildSettings(config);
    this.#environments = readEnvironmentModel(config).environments;
    this.#registries = readRegistries(config);
    this.#sources = (
      config.getOptionalConfigArray('k2.builds.sources') ?? []
    ).map(source => ({
      host: source.getString('host').toLowerCase(),
      token: source.getOptionalString('token'),
    }));
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /**
   * Where a service builds: the builds cluster and namespace of the first of its
   * environments K2 knows (`environments`, from `k2.io/environments`), else of K2's
   * first environment.
   */
  placementOf(environments: string[] = []): BuildPlacement {
    const environment =
      environments
        .map(name => this.#environments.find(e => e.name === name))
        .find(Boolean) ?? this.#environments[0];
    return {
      cluster: environment.builds?.cluster ?? environment.clusters[0].name,
      namespace: environment.builds?.namespace ?? this.#settings.namespace,
    };
  }

  /** Every build cluster is one K2 reaches, and its namespace exists there. */
  async available(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const placements = new Map<string, BuildPlacement>();
    for (const environment of this.#environments) {
      const placement = this.placementOf([environment.name]);
      placements.set(`${placement.cluster}/${placement.namespace}`, placement);
    }
    const known = new Set(this.#access.listClusters().map(c => c.name));
    for (const { cluster, namespace } of placements.values()) {
      if (!known.has(cluster)) {
        return {
          ok: false,
          reason: `K2 has no cluster '${cluster}' to build in (declare it under kubernetes.clusterLocatorMethods)`,
        };
      }
      try {
        await this.#access.get(
          cluster,
          `/api/v1/namespaces/${encodeURIComponent(namespace)}`,
        );
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 404) {
          return {
            ok: false,
            reason: `The namespace '${namespace}' that builds run in does not exist in cluster '${cluster}'`,
          };
        }
        return {
          ok: false,
          reason: `The build cluster '${cluster}' cannot be reached: ${message(
            error,
          )}`,
        };
      }
    }
    return { ok: true };
  }

  async run(
    job: BuildJob,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome> {
    const placement = this.placementOf(job.environments);
    const name = buildJobName(job);
    let started: KubeObject;
    try {
      started = await this.#start(job, placement, log);
    } catch (error) {
      if (signal.aborted) return this.#cancel(placement, name, log, signal);
      // A Job applied before the failure would wait suspended until its TTL: remove it.
      await this.#delete(placement, name);
      this.#logger.warn(
        `Build ${job.id}: the Job could not start: ${message(error)}`,
      );
      return {
        result: 'failed',
        reason: `The build Job could not start in cluster '${
          placement.cluster
        }': ${message(error)}`,
      };
    }
    return this.#follow(job, placement, started, log, signal, false);
  }

  /** Follows a build whose Job outlived a backend restart; found by the build's id. */
  async resume(
    job: BuildJob,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome> {
    const placement = this.placementOf(job.environments);
    const name = buildJobName(job);
    let found: KubeObject | undefined;
    try {
      found = await this.#readJob(placement, name);
    } catch (error) {
      return {
        result: 'failed',
        reason: `The build Job ${placement.namespace}/${name} in cluster '${
          placement.cluster
        }' cannot be read after a backend restart: ${message(error)}`,
      };
    }
    if (!found || found.metadata.labels?.[LABEL_BUILD_ID] !== job.id) {
      return {
        result: 'failed',
        reason: `The build Job ${placement.namespace}/${name} is no longer in cluster '${placement.cluster}' after a backend restart`,
      };
    }
    log.write(`[k2] Following the build Job again after a backend restart\n`);
    if (found.spec?.suspend) {
      // Stopped between the Job and its ConfigMap and Secrets: apply them again.
      try {
        found = await this.#start(job, placement, log);
      } catch (error) {
        if (signal.aborted) return this.#cancel(placement, name, log, signal);
        // Suspended, it would wait for good (its TTL counts from the end): remove it.
        await this.#delete(placement, name);
        return {
          result: 'failed',
          reason: `The build Job could not start in cluster '${
            placement.cluster
          }': ${message(error)}`,
        };
      }
    }
    return this.#follow(job, placement, found, log, signal, true);
  }

  /**
   * Applies the Job suspended, then the Dockerfile's ConfigMap and the Secrets owned
   * by it, then lets it run: its pod never waits for a missing volume.
   */
  async #start(
    job: BuildJob,
    placement: BuildPlacement,
    log: BuildLogSink,
  ): Promise<KubeObject> {
    const registry = this.#registries.get(job.target.registryHost);
    if (!registry) {
      throw new Error(
        `the registry ${job.target.registryHost} is not in k2.registries, so K2 has no credentials to push with`,
      );
    }
    const rendered = renderBuildJob(job, {
      namespace: placement.namespace,
      settings: this.#settings,
      registry,
      sourceAuth: this.#sourceAuth(job.source.url),
      suspend: true,
    });
    validateBuildObjects([rendered.job]);
    const { cluster } = placement;
    const applied = await this.#access.apply(cluster, rendered.job);
    const dependents = rendered.dependents.map(d => ownedBy(d, applied));
    validateBuildObjects(dependents);
    for (const dependent of dependents) {
      await this.#access.apply(cluster, dependent);
    }
    const running = {
      ...rendered.job,
      spec: { ...rendered.job.spec, suspend: false },
    };
    validateBuildObjects([running]);
    const started = await this.#access.apply(cluster, running);
    log.write(
      `[k2] Job ${placement.namespace}/${started.metadata.name} in cluster '${cluster}' builds ${job.source.commit} and pushes ${rendered.pushReference}\n`,
    );
    return started;
  }

  /** The source host's token as one git setting, from the same place local clones take it. */
  #sourceAuth(url: string): BuildSourceAuth | undefined {
    const env = gitEnv(this.#sources, url);
    if (env.GIT_CONFIG_COUNT !== '1') return undefined;
    return {
      configKey: env.GIT_CONFIG_KEY_0!,
      header: env.GIT_CONFIG_VALUE_0!,
    };
  }

  async #readJob(
    placement: BuildPlacement,
    name: string,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.#access.get<KubeObject>(
        placement.cluster,
        `/apis/batch/v1/namespaces/${encodeURIComponent(
          placement.namespace,
        )}/jobs/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        return undefined;
      }
      throw error;
    }
  }

  async #pods(placement: BuildPlacement, name: string): Promise<KubeObject[]> {
    const list = await this.#access.get<{ items: KubeObject[] }>(
      placement.cluster,
      `/api/v1/namespaces/${encodeURIComponent(placement.namespace)}/pods`,
      { labelSelector: `batch.kubernetes.io/job-name=${name}` },
    );
    return [...list.items].sort((a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(
        b.metadata.creationTimestamp ?? '',
      ),
    );
  }

  /**
   * Deletes the Job; its pod, ConfigMap and Secrets are garbage-collected with it. When
   * the backend is stopping, the Job is left running for the next start to resume.
   */
  async #cancel(
    placement: BuildPlacement,
    name: string,
    log: BuildLogSink,
    signal: AbortSignal,
  ): Promise<BuildOutcome> {
    if (signal.reason instanceof BackendStoppingReason) {
      log.write(
        `[k2] The backend stopped; the build Job ${name} keeps running and is followed again at the next start\n`,
      );
      return { result: 'cancelled' };
    }
    await this.#delete(placement, name);
    log.write(`[k2] Cancelled: the build Job ${name} was deleted\n`);
    return { result: 'cancelled' };
  }

  async #delete(placement: BuildPlacement, name: string) {
    try {
      await this.#access.delete(placement.cluster, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: placement.namespace },
      });
    } catch (error) {
      this.#logger.warn(
        `Could not delete the build Job ${
          placement.namespace
        }/${name} in cluster '${placement.cluster}': ${message(error)}`,
      );
    }
  }

  /** Reads the Job until it ends, following its pod's log into the build's. */
  async #follow(
    job: BuildJob,
    placement: BuildPlacement,
    started: KubeObject,
    log: BuildLogSink,
    signal: AbortSignal,
    resumed: boolean,
  ): Promise<BuildOutcome> {
    const name = started.metadata.name;
    const createdAt = Date.parse(started.metadata.creationTimestamp ?? '');
    const deadline =
      (Number.isNaN(createdAt) ? Date.now() : createdAt) +
      job.timeoutMs +
      BACKSTOP_MS;
    const logs = new LogFollower(
      this.#access,
      placement.cluster,
      log,
      signal,
      resumed,
    );
    let lastProblem: string | undefined;
    try {
      for (;;) {
        if (signal.aborted)
          return await this.#cancel(placement, name, log, signal);
        let current: KubeObject | undefined;
        let pods: KubeObject[] = [];
        try {
          current = await this.#readJob(placement, name);
          if (current) pods = await this.#pods(placement, name);
          lastProblem = undefined;
        } catch (error) {
          // The cluster is briefly away: keep trying until the backstop.
          const problem = message(error);
          if (problem !== lastProblem) {
            log.write(`[k2] The build cluster does not answer: ${problem}\n`);
            lastProblem = problem;
          }
        }
        if (signal.aborted)
          return await this.#cancel(placement, name, log, signal);
        if (lastProblem === undefined && !current) {
          return {
            result: 'failed',
            reason: `The build Job ${placement.namespace}/${name} was deleted outside K2`,
          };
        }
        const pod = pods[pods.length - 1];
        if (pod) logs.follow(pod, [SOURCE_CONTAINER, BUILD_CONTAINER]);
        if (current && trueCondition(current, 'Complete')) {
          await logs.drain();
          return { result: 'pushed' };
        }
        const failed = current && trueCondition(current, 'Failed');
        if (failed) {
          await logs.drain();
          if (failed.reason === 'DeadlineExceeded') {
            log.write(
              `[k2] The build ran longer than its timeout of ${Math.round(
                job.timeoutMs / 1000,
              )} s\n`,
            );
            return { result: 'timed-out' };
          }
          return {
            result: 'failed',
            reason: await this.#failureReason(placement, pod, failed),
          };
        }
        const stuck = pod && this.#stuck(pod);
        if (stuck) {
          await this.#delete(placement, name);
          return { result: 'failed', reason: stuck };
        }
        if (Date.now() > deadline) {
          await this.#delete(placement, name);
          log.write(
            `[k2] The build Job did not end within its timeout; it was deleted\n`,
          );
          return { result: 'timed-out' };
        }
        await sleep(this.#pollIntervalMs, signal);
      }
    } finally {
      logs.stop();
    }
  }

  /** A build pod that cannot start and never will: why, in one line. */
  #stuck(pod: KubeObject): string | undefined {
    for (const container of [SOURCE_CONTAINER, BUILD_CONTAINER]) {
      const waiting = containerStatus(pod, container)?.state?.waiting;
      if (waiting && STUCK_REASONS.has(waiting.reason)) {
        const spec = [
          ...(pod.spec?.initContainers ?? []),
          ...(pod.spec?.containers ?? []),
        ].find((c: any) => c.name === container);
        return `The build pod cannot start its ${container} container (${
          spec?.image ?? 'unknown image'
        }): ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
      }
    }
    return undefined;
  }

  /** The failed container's exit code and the last lines of its log, in one line. */
  async #failureReason(
    placement: BuildPlacement,
    pod: KubeObject | undefined,
    condition: any,
  ): Promise<string> {
    const what = (container: string) =>
      container === SOURCE_CONTAINER ? 'Cloning the source' : 'The build';
    for (const container of [SOURCE_CONTAINER, BUILD_CONTAINER]) {
      const terminated =
        pod && containerStatus(pod, container)?.state?.terminated;
      if (!terminated || terminated.exitCode === 0) continue;
      let tail = '';
      try {
        const stream = await this.#access.podLogs(
          placement.cluster,
          { namespace: placement.namespace, name: pod.metadata.name },
          { container, tailLines: 20 },
          AbortSignal.timeout(10_000),
        );
        let text = '';
        for await (const chunk of stream) text += chunk.toString();
        tail = text
          .split('\n')
          .map(line => line.trim())
          .filter(Boolean)
          .slice(-REASON_LINES)
          .join(' | ');
      } catch {
        // The reason then has the exit code alone.
      }
      const reason = `${what(container)} failed (exit code ${
        terminated.exitCode
      }${terminated.reason ? `, ${terminated.reason}` : ''})${
        tail ? `: ${tail}` : ''
      }`;
      return reason.length > REASON_MAX
        ? `${reason.slice(0, REASON_MAX - 1)}…`
        : reason;
    }
    return `The build Job failed: ${condition.reason ?? 'Failed'}${
      condition.message ? ` (${condition.message})` : ''
    }`;
  }
}
