import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  k2InstanceLogsReadPermission,
  K2LogQuery,
} from '@internal/plugin-k2-common';
import {
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { Readable } from 'stream';
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
 */
export class InstanceLogsService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
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
    const stream = await this.#access.podLogs(
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
      signal,
    );
    return {
      stream,
      filename: `${address.pod}_${container}${
        query.previous ? '_previous' : ''
      }.log`,
    };
  }
}
