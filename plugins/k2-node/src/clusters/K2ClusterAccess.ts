import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import {
  ConflictError,
  ForwardedError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  K2_FIELD_MANAGER,
  K2ClusterHealth,
  K2ConfigError,
  K2EnvironmentModel,
} from '@internal/plugin-k2-common';
import { durationToMilliseconds } from '@backstage/types';
import { ClusterCache, ClusterChange } from './ClusterCache';
import { ClusterClient, KubeApiError } from './ClusterClient';
import { K2Cluster, K2ClusterRegistry } from './K2ClusterRegistry';
import { KubeletNodeSummary } from './kubeletSummary';
import { DEFAULT_WATCH_TIMING, WatchTiming } from './Reflector';
import { KubeObject } from './resources';
import { Readable } from 'stream';
import {
  K2RemoteCommand,
  K2RemoteCommandEnd,
  REMOTE_COMMAND_PROTOCOLS,
} from './RemoteCommand';

/**
 * Reads `k2.clusterAccess`; every key is optional. `consistencyCheck.interval` bounds
 * how long the caches may hold lost watch events unnoticed (see `Reflector`).
 */
export function readWatchTiming(config: Config): WatchTiming {
  const access = config.getOptionalConfig('k2.clusterAccess');
  if (!access) return DEFAULT_WATCH_TIMING;
  const ms = (key: string, fallback: number) =>
    access.has(key)
      ? durationToMilliseconds(readDurationFromConfig(access, { key }))
      : fallback;
  const timing: WatchTiming = {
    silentWatchTimeoutMs: ms(
      'silentWatchTimeout',
      DEFAULT_WATCH_TIMING.silentWatchTimeoutMs,
    ),
    watchSessionSeconds:
      ms('watchSession', DEFAULT_WATCH_TIMING.watchSessionSeconds * 1000) /
      1000,
    backoffInitialMs: ms(
      'backoff.initial',
      DEFAULT_WATCH_TIMING.backoffInitialMs,
    ),
    backoffMaxMs: ms('backoff.max', DEFAULT_WATCH_TIMING.backoffMaxMs),
    pageSize:
      access.getOptionalNumber('pageSize') ?? DEFAULT_WATCH_TIMING.pageSize,
    requestTimeoutMs: ms(
      'requestTimeout',
      DEFAULT_WATCH_TIMING.requestTimeoutMs,
    ),
    consistencyCheckIntervalMs: ms(
      'consistencyCheck.interval',
      DEFAULT_WATCH_TIMING.consistencyCheckIntervalMs,
    ),
  };
  for (const [key, value] of Object.entries(timing)) {
    if (!(value > 0)) {
      throw new K2ConfigError(`k2.clusterAccess.${key}`, 'must be positive');
    }
  }
  if (timing.backoffMaxMs < timing.backoffInitialMs) {
    throw new K2ConfigError(
      'k2.clusterAccess.backoff.max',
      'must not be shorter than backoff.initial',
    );
  }
  return timing;
}

/**
 * K2's one way to Kubernetes: a watch cache per cluster for reading (page views never
 * list), and server-side apply under K2's field manager for writing.
 */
export class K2ClusterAccess {
  readonly #registry: K2ClusterRegistry;
  readonly #caches = new Map<string, ClusterCache>();
  #started = false;

  static fromConfig(options: {
    config: Config;
    model: K2EnvironmentModel;
    logger: LoggerService;
  }): K2ClusterAccess {
    return new K2ClusterAccess({
      registry: K2ClusterRegistry.fromConfig(options.config, options.model),
      timing: readWatchTiming(options.config),
      logger: options.logger,
    });
  }

  constructor(options: {
    registry: K2ClusterRegistry;
    timing?: WatchTiming;
    logger: LoggerService;
  }) {
    this.#registry = options.registry;
    const timing = options.timing ?? DEFAULT_WATCH_TIMING;
    for (const cluster of options.registry.list()) {
      const client = new ClusterClient(
        options.registry.createKubeConfig(cluster.name),
        { requestTimeoutMs: timing.requestTimeoutMs, cluster },
      );
      this.#caches.set(
        cluster.name,
        new ClusterCache({
          name: cluster.name,
          client,
          timing,
          logger: options.logger.child({ component: 'k2-watch-cache' }),
        }),
      );
    }
  }

  /** Starts every cluster's watches; lists run in the background. */
  start() {
    if (this.#started) return;
    this.#started = true;
    for (const cache of this.#caches.values()) cache.start();
  }

  async stop() {
    await Promise.all([...this.#caches.values()].map(c => c.stop()));
  }

  listClusters(): K2Cluster[] {
    return this.#registry.list();
  }

  /** @throws NotFoundError for a cluster K2 does not know */
  cache(cluster: string): ClusterCache {
    const cache = this.#caches.get(cluster);
    if (!cache) throw new NotFoundError(`K2 has no cluster '${cluster}'`);
    return cache;
  }

  health(): K2ClusterHealth[] {
    return [...this.#caches.values()].map(c => c.health());
  }

  /** Listen to changes in every cluster; returns a function that stops listening. */
  subscribe(listener: (change: ClusterChange) => void): () => void {
    const stops = [...this.#caches.values()].map(c => c.subscribe(listener));
    return () => stops.forEach(stop => stop());
  }

  /** Resolves once every cluster has listed everything (tests and benchmarks). */
  async waitForSync(timeoutMs: number): Promise<void> {
    await Promise.all(
      [...this.#caches.values()].map(c => c.waitForSync(timeoutMs)),
    );
  }

  /**
   * Server-side apply of a whole object under K2's field manager. Set
   * `metadata.resourceVersion` to apply only if nobody changed the object since
   * (optimistic concurrency); `force` takes over fields another manager owns;
   * `timeoutMs` bounds this call instead of `k2.clusterAccess.requestTimeout`, and
   * `timeoutKey` names the setting it comes from when it runs out.
   *
   * @throws ConflictError on a stale resourceVersion or a field owned by another manager
   * @throws InputError when the API server rejects the object as invalid
   */
  async apply(
    cluster: string,
    object: KubeObject,
    options: {
      force?: boolean;
      dryRun?: boolean;
      timeoutMs?: number;
      timeoutKey?: string;
    } = {},
  ): Promise<KubeObject> {
    const { client } = this.cache(cluster);
    try {
      return await client.apply(object, {
        fieldManager: K2_FIELD_MANAGER,
        ...options,
      });
    } catch (error) {
      throw mapApiError(error, cluster, object, 'apply');
    }
  }

  /**
   * Deletes an object K2 made (dependents are garbage-collected). Already gone is fine.
   * `timeoutMs` and `timeoutKey` as for {@link K2ClusterAccess.apply}.
   *
   * @throws NotAllowedError when the cluster refuses K2's service account
   */
  async delete(
    cluster: string,
    object: KubeObject,
    options: {
      gracePeriodSeconds?: number;
      timeoutMs?: number;
      timeoutKey?: string;
    } = {},
  ): Promise<void> {
    try {
      await this.cache(cluster).client.delete(object, options);
    } catch (error) {
      throw mapApiError(error, cluster, object, 'delete');
    }
  }

  /**
   * One read of an API path K2 does not watch (for example pod metrics). Page views
   * never use it; it serves explicit, occasional requests.
   */
  async get<T>(
    cluster: string,
    path: string,
    query?: Record<string, string>,
  ): Promise<T> {
    return this.cache(cluster).client.get<T>(path, query);
  }

  /** One read of a plain-text API path, e.g. `/api/v1/nodes/{node}/proxy/metrics/cadvisor`. */
  async getText(
    cluster: string,
    path: string,
    query?: Record<string, string>,
  ): Promise<string> {
    return this.cache(cluster).client.getText(path, query);
  }

  /**
   * The kubelet Summary API of one node, read through the API server's node proxy
   * (`GET /api/v1/nodes/{node}/proxy/stats/summary`, RBAC `get` on `nodes/proxy`). One
   * request per call, nothing cached: for periodic checks, never for page views.
   *
   * @throws NotFoundError when the node does not exist
   * @throws NotAllowedError when the cluster refuses K2's service account
   */
  async nodeSummary(
    cluster: string,
    node: string,
  ): Promise<KubeletNodeSummary> {
    const path = `/api/v1/nodes/${encodeURIComponent(
      node,
    )}/proxy/stats/summary`;
    try {
      return await this.cache(cluster).client.get<KubeletNodeSummary>(path);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        throw new NotFoundError(`${error.message} in cluster '${cluster}'`);
      }
      const object = { kind: 'Node', metadata: { name: node } };
      throw mapApiError(error, cluster, object, 'read the kubelet summary of');
    }
  }

  /**
   * Streams a pod's log (`kubectl logs` with its options). The stream is read at the
   * consumer's pace; aborting `signal` closes it on the cluster too.
   *
   * @throws InputError when the cluster refuses the options (e.g. no previous container)
   * @throws NotFoundError when the pod or container does not exist
   */
  async podLogs(
    cluster: string,
    pod: { namespace: string; name: string },
    options: {
      container?: string;
      tailLines?: number;
      previous?: boolean;
      follow?: boolean;
      timestamps?: boolean;
      limitBytes?: number;
    },
    signal: AbortSignal,
  ): Promise<Readable> {
    const path = `/api/v1/namespaces/${encodeURIComponent(
      pod.namespace,
    )}/pods/${encodeURIComponent(pod.name)}/log`;
    const flag = (value?: boolean) => (value ? 'true' : undefined);
    try {
      return await this.cache(cluster).client.stream(
        path,
        {
          container: options.container,
          tailLines: options.tailLines?.toString(),
          previous: flag(options.previous),
          follow: flag(options.follow),
          timestamps: flag(options.timestamps),
          limitBytes: options.limitBytes?.toString(),
        },
        signal,
      );
    } catch (error) {
      const object = { kind: 'Pod', metadata: pod };
      if (error instanceof KubeApiError && error.statusCode === 404) {
        throw new NotFoundError(`${error.message} in cluster '${cluster}'`);
      }
      throw mapApiError(error, cluster, object, 'read the logs of');
    }
  }

  /**
   * Runs a command in a container (`kubectl exec`) over the cluster's WebSocket with
   * K2's credentials; output goes to `onOutput` as it arrives. With `tty`, stderr is
   * merged into stdout by the cluster. The session ends when the process does, or on
   * {@link K2RemoteCommand.close}.
   *
   * @throws NotFoundError when the pod does not exist
   * @throws InputError when the cluster refuses the container (unknown, not running)
   * @throws NotAllowedError when the cluster refuses K2's service account
   */
  async exec(
    cluster: string,
    pod: { namespace: string; name: string },
    options: {
      container: string;
      command: string[];
      stdin?: boolean;
      tty?: boolean;
      onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
    },
  ): Promise<K2RemoteCommand> {
    const query = this.#streamQuery(options);
    for (const arg of options.command) query.append('command', arg);
    return this.#remoteCommand(cluster, pod, 'exec', query, options.onOutput);
  }

  /**
   * Attaches to a container's main process (`kubectl attach`), e.g. a debug container
   * whose main process is a shell. Closing the session leaves the process running.
   * Errors as for {@link K2ClusterAccess.exec}.
   */
  async attach(
    cluster: string,
    pod: { namespace: string; name: string },
    options: {
      container: string;
      stdin?: boolean;
      tty?: boolean;
      onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
    },
  ): Promise<K2RemoteCommand> {
    const query = this.#streamQuery(options);
    return this.#remoteCommand(cluster, pod, 'attach', query, options.onOutput);
  }

  /**
   * Runs a short non-interactive command and collects its output (at most `maxBytes`
   * of each stream, 64 KiB by default), within `timeoutMs`.
   *
   * @throws Error when it does not end within `timeoutMs`; errors as for exec
   */
  async execOutput(
    cluster: string,
    pod: { namespace: string; name: string },
    options: {
      container: string;
      command: string[];
      timeoutMs: number;
      maxBytes?: number;
    },
  ): Promise<{ stdout: string; stderr: string } & K2RemoteCommandEnd> {
    const max = options.maxBytes ?? 65_536;
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const sizes = { stdout: 0, stderr: 0 };
    const command = await this.exec(cluster, pod, {
      container: options.container,
      command: options.command,
      onOutput: (chunk, stream) => {
        if (sizes[stream] >= max) return;
        const kept = chunk.subarray(0, max - sizes[stream]);
        sizes[stream] += kept.length;
        out[stream].push(kept);
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        command.close();
        reject(
          new Error(
            `'${options.command.join(' ')}' in ${pod.namespace}/${
              pod.name
            } (container ${
              options.container
            }) in cluster '${cluster}' did not end within ${
              options.timeoutMs
            } ms`,
          ),
        );
      }, options.timeoutMs);
    });
    try {
      const end = await Promise.race([command.ended, timeout]);
      return {
        ...end,
        stdout: Buffer.concat(out.stdout).toString('utf8'),
        stderr: Buffer.concat(out.stderr).toString('utf8'),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Adds an ephemeral container to a pod (`kubectl debug`): a strategic merge patch of
   * the pod's `ephemeralcontainers` subresource. The kubelet starts it; its status
   * arrives in the watch cache as the pod's `ephemeralContainerStatuses`.
   *
   * @throws NotFoundError when the pod does not exist
   * @throws InputError when the cluster refuses the container (e.g. a name in use)
   * @throws NotAllowedError when the cluster refuses K2's service account
   */
  async addEphemeralContainer(
    cluster: string,
    pod: { namespace: string; name: string },
    container: Record<string, unknown> & { name: string; image: string },
  ): Promise<KubeObject> {
    const path = `${podPath(pod)}/ephemeralcontainers`;
    try {
      return await this.cache(cluster).client.patch<KubeObject>(
        path,
        { spec: { ephemeralContainers: [container] } },
        'application/strategic-merge-patch+json',
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        throw new NotFoundError(`${error.message} in cluster '${cluster}'`);
      }
      const object = { kind: 'Pod', metadata: pod };
      throw mapApiError(error, cluster, object, 'add a debug container to');
    }
  }

  #streamQuery(options: { container: string; stdin?: boolean; tty?: boolean }) {
    const query = new URLSearchParams({ container: options.container });
    if (options.stdin) query.set('stdin', 'true');
    query.set('stdout', 'true');
    if (options.tty) query.set('tty', 'true');
    else query.set('stderr', 'true');
    return query;
  }

  async #remoteCommand(
    cluster: string,
    pod: { namespace: string; name: string },
    kind: 'exec' | 'attach',
    query: URLSearchParams,
    onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void,
  ): Promise<K2RemoteCommand> {
    try {
      return await this.cache(cluster).client.openWebSocket(
        `${podPath(pod)}/${kind}`,
        query,
        REMOTE_COMMAND_PROTOCOLS,
        ws => new K2RemoteCommand(ws, onOutput),
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        throw new NotFoundError(`${error.message} in cluster '${cluster}'`);
      }
      const object = { kind: 'Pod', metadata: pod };
      throw mapApiError(error, cluster, object, `${kind} into`);
    }
  }
}

function podPath(pod: { namespace: string; name: string }) {
  return `/api/v1/namespaces/${encodeURIComponent(
    pod.namespace,
  )}/pods/${encodeURIComponent(pod.name)}`;
}

function mapApiError(
  error: unknown,
  cluster: string,
  object: KubeObject,
  verb: string,
): Error {
  const where = `${object.kind} ${object.metadata.namespace ?? ''}/${
    object.metadata.name
  } in cluster '${cluster}'`;
  if (error instanceof KubeApiError) {
    if (error.statusCode === 409) {
      return new ConflictError(`${where}: ${error.message}`);
    }
    if (error.statusCode === 422 || error.statusCode === 400) {
      return new InputError(`${where}: ${error.message}`);
    }
    if (error.statusCode === 403 || error.statusCode === 401) {
      return new NotAllowedError(`${where}: ${error.message}`);
    }
  }
  return new ForwardedError(`Could not ${verb} ${where}`, error);
}
