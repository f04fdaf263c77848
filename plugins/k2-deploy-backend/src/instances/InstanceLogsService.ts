import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  k2InstanceLogsReadPermission,
  K2LogQuery,
} from '@internal/plugin-k2-common';
import { Config } from '@backstage/config';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { PassThrough, Readable } from 'stream';
import {
  describeDuration,
  FollowSlots,
  GatewayTimeoutError,
  LogLimits,
  readLogLimits,
} from './followLimits';
import { readInstance } from './reads';

/** A download without `tailLines` stops at this size. */
const DOWNLOAD_LIMIT_BYTES = 100 * 1024 * 1024;

/**
 * A container's log as a stream from its cluster: the tail (500 lines unless asked
 * otherwise), the previous run's (after a crash), followed live, or downloaded whole
 * (up to `DOWNLOAD_LIMIT_BYTES`). The caller pipes it to the client; the client's
 * pace is the pace at which it is read from the cluster. The logs permission is checked
 * before the instance is looked up, so a refused reader cannot learn which instances
 * exist.
 *
 * Bounds (`k2.instances.logs`): a user may follow a few logs at once and K2 some
 * hundreds in all (429 beyond); a followed log ends after the maximum duration with a
 * last line saying so; a cluster that does not start a stream in time is a 504.
 */
export class InstanceLogsService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  readonly #limits: LogLimits;
  readonly #follows: FollowSlots;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
    /** The root config; `k2.instances.logs` is read once, here. */
    config?: Config;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
    this.#limits = readLogLimits(options.config);
    this.#follows = new FollowSlots(this.#limits);
  }

  /** Opens the log stream; `signal` ends it when the client goes away. */
  async open(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    query: K2LogQuery & { download?: boolean },
    caller: Caller,
    signal: AbortSignal,
  ): Promise<{ stream: Readable; filename: string }> {
    if (query.follow && (query.previous || query.download)) {
      throw new InputError(
        "'follow' cannot be combined with 'previous' or 'download'",
      );
    }
    const instance = await readInstance(
      { resolver: this.#resolver, gate: this.#gate },
      ref,
      address,
      caller,
      { permission: k2InstanceLogsReadPermission, verb: 'read the logs of' },
    );
    const containers: Array<{ name: string }> =
      instance.pod.spec?.containers ?? [];
    const container = query.container ?? containers[0]?.name;
    if (!containers.some(c => c.name === container)) {
      throw new NotFoundError(
        `Instance '${address.pod}' has no container '${query.container}'`,
      );
    }
    const tailLines = query.tailLines ?? (query.download ? undefined : 500);
    const release = query.follow
      ? this.#follows.acquire(actorOf(caller.credentials))
      : () => {};
    // Ends the cluster's stream: the client went away, the cluster was too slow to
    // start it, or a follow reached its maximum duration.
    const upstream = new AbortController();
    const onClientGone = () => upstream.abort();
    signal.addEventListener('abort', onClientGone, { once: true });
    if (signal.aborted) upstream.abort();
    const done = () => {
      release();
      signal.removeEventListener('abort', onClientGone);
    };
    const { connectTimeoutMs } = this.#limits;
    let timedOut = false;
    const connectTimer = setTimeout(() => {
      timedOut = true;
      upstream.abort();
    }, connectTimeoutMs);
    let stream: Readable;
    try {
      stream = await this.#access.podLogs(
        address.cluster,
        { namespace: instance.target.namespace, name: address.pod },
        {
          container,
          tailLines,
          previous: query.previous,
          follow: query.follow,
          timestamps: query.timestamps,
          limitBytes: query.download ? DOWNLOAD_LIMIT_BYTES : undefined,
        },
        upstream.signal,
      );
    } catch (error) {
      done();
      if (timedOut) {
        throw new GatewayTimeoutError(
          `Cluster '${address.cluster}' did not start the log of '${
            address.pod
          }' within ${describeDuration(connectTimeoutMs)}; try again`,
        );
      }
      throw error;
    } finally {
      clearTimeout(connectTimer);
    }
    return {
      stream: query.follow
        ? this.#bounded(stream, upstream, done)
        : onEnd(stream, done),
      filename: `${address.pod}_${container}${
        query.previous ? '_previous' : ''
      }.log`,
    };
  }

  /**
   * A followed stream that ends after the maximum follow duration with a last line
   * saying why; `done` runs once when it ends, however it ends.
   */
  #bounded(
    source: Readable,
    upstream: AbortController,
    done: () => void,
  ): Readable {
    const { maxFollowDurationMs } = this.#limits;
    const out = new PassThrough();
    let atLineStart = true;
    source.on('data', (chunk: Buffer) => {
      if (chunk.length) atLineStart = chunk[chunk.length - 1] === 0x0a;
    });
    source.pipe(out);
    const timer = setTimeout(() => {
      source.unpipe(out);
      upstream.abort();
      out.end(
        `${
          atLineStart ? '' : '\n'
        }[K2] Stopped following after ${describeDuration(
          maxFollowDurationMs,
        )}, the longest K2 follows a log (k2.instances.logs.maxFollowDuration); follow again to continue.\n`,
      );
    }, maxFollowDurationMs);
    // The cluster's stream fails when it is aborted; that end is expected.
    source.on('error', error => {
      if (!upstream.signal.aborted) out.destroy(error);
    });
    const finish = () => {
      clearTimeout(timer);
      upstream.abort();
      done();
    };
    out.once('close', finish);
    out.once('end', finish);
    return out;
  }
}

/** Runs `done` once when the stream ends, fails or is closed. */
function onEnd(stream: Readable, done: () => void): Readable {
  stream.once('close', done);
  stream.once('end', done);
  stream.once('error', done);
  return stream;
}
