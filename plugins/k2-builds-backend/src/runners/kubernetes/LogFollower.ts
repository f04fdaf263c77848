import { K2ClusterAccess, KubeObject } from '@internal/plugin-k2-node';
import { StringDecoder } from 'string_decoder';
import { BuildLogSink } from '../types';

/** How long the log is still read once the Job has finished. */
const LOG_DRAIN_MS = 10_000;

export function message(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}

/** The status of an init container or container of a pod. */
export function containerStatus(pod: KubeObject, container: string): any {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s: any) => s.name === container);
}

/**
 * Follows the containers of a build pod one after the other (the clone, then the
 * build), each once, writing what they print to the build's log as it comes.
 */
export class LogFollower {
  readonly #followed = new Set<string>();
  readonly #controller = new AbortController();
  readonly #createdAt = Date.now();
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly access: K2ClusterAccess,
    private readonly cluster: string,
    private readonly log: BuildLogSink,
    signal: AbortSignal,
    /**
     * After a restart: containers that started before it are read from now on (the rest
     * was read before); those that started since, from their first line.
     */
    private readonly fromNow: boolean,
  ) {
    signal.addEventListener('abort', () => this.#controller.abort(), {
      once: true,
    });
  }

  /** Starts following each container that has started and is not followed yet. */
  follow(pod: KubeObject, containers: string[]) {
    for (const container of containers) {
      const key = `${pod.metadata.uid}/${container}`;
      const state = containerStatus(pod, container)?.state;
      if (this.#followed.has(key) || !(state?.running || state?.terminated)) {
        continue;
      }
      this.#followed.add(key);
      const target = {
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name,
      };
      // startedAt has whole seconds: one of the restart's own second counts as since.
      const startedAt = Date.parse(
        (state.running ?? state.terminated)?.startedAt ?? '',
      );
      const fromNow =
        this.fromNow &&
        (Number.isNaN(startedAt) || startedAt + 1000 <= this.#createdAt);
      this.#chain = this.#chain.then(() =>
        this.#read(target, container, fromNow),
      );
    }
  }

  async #read(
    pod: { namespace: string; name: string },
    container: string,
    fromNow: boolean,
  ) {
    const decoder = new StringDecoder('utf8');
    try {
      const stream = await this.access.podLogs(
        this.cluster,
        pod,
        { container, follow: true, ...(fromNow ? { tailLines: 0 } : {}) },
        this.#controller.signal,
      );
      for await (const chunk of stream) {
        this.log.write(decoder.write(chunk as Buffer));
      }
      const rest = decoder.end();
      if (rest) this.log.write(rest);
    } catch (error) {
      if (!this.#controller.signal.aborted) {
        this.log.write(
          `[k2] The log of the ${container} container could not be read: ${message(
            error,
          )}\n`,
        );
      }
    }
  }

  /** Waits for the followed logs to end (the pod has finished), at most a few seconds. */
  async drain() {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#chain,
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, LOG_DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  stop() {
    this.#controller.abort();
  }
}
