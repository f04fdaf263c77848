import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ANNOTATION_ENDED_BY,
  K2ConvergedEvent,
  K2EventList,
  K2HistoricalContainerList,
  k2InstanceLogsReadPermission,
  k2InstanceManagePermission,
  K2InstanceUsage,
  K2LogQuery,
  k2ServiceRuntimeReadPermission,
  LABEL_TRAFFIC,
  parseCpuMillicores,
  parseMemoryBytes,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { Readable } from 'stream';
import { setTimeout as sleep } from 'timers/promises';
import { InstanceStore } from '../database/InstanceStore';
import { serviceEvents } from '../runtime/ServiceRuntimeService';
import { podSamples } from './cadvisor';
import { EndedByMark } from './endings';

/** Converged event rows returned at most. */
const MAX_EVENTS = 200;
/** CPU is a rate: two scrapes at least this far apart, and no older than the window. */
const CPU_MIN_INTERVAL_MS = 1000;
const CPU_WINDOW_MS = 5 * 60_000;
/** A download without `tailLines` stops at this size. */
const DOWNLOAD_LIMIT_BYTES = 100 * 1024 * 1024;

/** Where a request points: an environment, one of its clusters and a pod name. */
export type InstanceAddress = K2InstanceAddress;

/**
 * Instances of a service beyond the runtime view: historical containers, converged
 * events, logs, usage, and the actions on one instance (traffic, restart, destroy).
 * Reads come from the watch caches and the database; each action is one write to the
 * pod's cluster, permission-checked and audited.
 */
export class InstanceService {
  readonly #resolver: K2ServiceResolver;
  readonly #access: K2ClusterAccess;
  readonly #store: InstanceStore;
  readonly #gate: K2ActionGate;
  /** The newest CPU counters per pod, so a rate needs one scrape when views repeat. */
  readonly #cpu = new Map<
    string,
    { at: number; seconds: Map<string, number> }
  >();

  constructor(options: {
    resolver: K2ServiceResolver;
    access: K2ClusterAccess;
    store: InstanceStore;
    gate: K2ActionGate;
  }) {
    this.#resolver = options.resolver;
    this.#access = options.access;
    this.#store = options.store;
    this.#gate = options.gate;
  }

  /** The service's targets a reader asks for (one environment, or all), once allowed. */
  async #readTargets(
    ref: CompoundEntityRef,
    environment: string | undefined,
    caller: Caller,
    verb: string,
  ) {
    const service = await this.#resolver.service(ref);
    await this.#gate.authorize(service.ref, caller, {
      permission: k2ServiceRuntimeReadPermission,
      verb,
    });
    return {
      spec: service.spec,
      targets: this.#resolver.targets(service, environment),
    };
  }


  /** Historical containers, newest first, in pages. */
  async history(
    ref: CompoundEntityRef,
    query: {
      environment?: string;
      cluster?: string;
      limit: number;
      before?: string;
    },
    caller: Caller,
  ): Promise<K2HistoricalContainerList> {
    const { spec, targets } = await this.#readTargets(
      ref,
      query.environment,
      caller,
      'read the instances of',
    );
    return this.#store.list({
      serviceId: spec.kubernetesId,
      targets: targets.map(t => ({
        environment: t.environment.name,
        namespace: t.namespace,
      })),
      cluster: query.cluster,
      limit: query.limit,
      before: query.before,
    });
  }

  /**
   * The service's events from the caches, converged: one row per object, type and
   * reason, with the total count, first and last seen, and the newest message.
   */
  async events(
    ref: CompoundEntityRef,
    query: {
      environment?: string;
      cluster?: string;
      pod?: string;
      warningsOnly?: boolean;
    },
    caller: Caller,
  ): Promise<K2EventList> {
    const { spec, targets } = await this.#readTargets(
      ref,
      query.environment,
      caller,
      'read the events of',
    );
    const rows = new Map<string, K2ConvergedEvent>();
    for (const target of targets) {
      for (const { name: cluster } of target.clusters) {
        if (query.cluster && cluster !== query.cluster) continue;
        const events = serviceEvents(
          this.#access.cache(cluster),
          spec.kubernetesId,
          target.namespace,
        );
        for (const e of events) {
          const object = `${e.involvedObject?.kind}/${e.involvedObject?.name}`;
          if (query.pod && object !== `Pod/${query.pod}`) continue;
          if (query.warningsOnly && e.type !== 'Warning') continue;
          converge(rows, cluster, object, e);
        }
      }
    }
    const items = [...rows.values()]
      .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
      .slice(0, MAX_EVENTS);
    return { items };
  }

  /**
   * A container's log as a stream: the tail, the previous run's (after a crash), or
   * followed live. The caller pipes it to the client; the client's pace is the pace
   * at which it is read from the cluster.
   */
  async logs(
    ref: CompoundEntityRef,
    address: InstanceAddress,
    query: K2LogQuery & { download?: boolean },
    caller: Caller,
    signal: AbortSignal,
  ): Promise<{ stream: Readable; filename: string }> {
    if (query.follow && (query.previous || query.download)) {
      throw new InputError(
        "'follow' cannot be combined with 'previous' or 'download'",
      );
    }
    // Allowed first, so a refused reader cannot learn which instances exist.
    await this.#gate.authorize(stringifyEntityRef(ref), caller, {
      permission: k2InstanceLogsReadPermission,
      verb: 'read the logs of',
    });
    const instance = await this.#resolver.instance(ref, address);
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

  /**
   * CPU and memory of one instance from its node's cAdvisor (through the API server's
   * node proxy): memory is usage minus page cache; CPU is the counter's rate between
   * two scrapes.
   */
  async usage(
    ref: CompoundEntityRef,
    address: InstanceAddress,
    caller: Caller,
  ): Promise<K2InstanceUsage> {
    // Allowed first, so a refused reader cannot learn which instances exist.
    await this.#gate.authorize(stringifyEntityRef(ref), caller, {
      permission: k2ServiceRuntimeReadPermission,
      verb: 'read the usage of',
    });
    const instance = await this.#resolver.instance(ref, address);
    const { pod } = instance;
    const node = pod.spec?.nodeName;
    if (!node) {
      throw new ConflictError(`Instance '${address.pod}' is not on a node yet`);
    }
    const key = `${address.cluster}/${pod.metadata.uid}`;
    const scrape = async () => ({
      at: Date.now(),
      samples: podSamples(
        await this.#access.getText(
          address.cluster,
          `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`,
        ),
        pod.metadata.namespace!,
        pod.metadata.name,
      ),
    });
    let previous = this.#cpu.get(key);
    let current = await scrape();
    const age = previous ? current.at - previous.at : Infinity;
    if (age > CPU_WINDOW_MS || age < CPU_MIN_INTERVAL_MS) {
      previous = {
        at: current.at,
        seconds: cpuCounters(current.samples),
      };
      await sleep(CPU_MIN_INTERVAL_MS);
      current = await scrape();
    }
    this.#remember(key, current.at, cpuCounters(current.samples));
    const spec: Array<{
      name: string;
      resources?: { limits?: { cpu?: string; memory?: string } };
    }> = pod.spec?.containers ?? [];
    return {
      cluster: address.cluster,
      pod: address.pod,
      sampledAt: new Date(current.at).toISOString(),
      containers: current.samples.map(s => {
        const limits = spec.find(c => c.name === s.container)?.resources
          ?.limits;
        const before = previous!.seconds.get(s.container);
        const seconds = (current.at - previous!.at) / 1000;
        return {
          container: s.container,
          cpuMillicores:
            s.cpuSeconds !== undefined &&
            before !== undefined &&
            s.cpuSeconds >= before
              ? Math.round(((s.cpuSeconds - before) / seconds) * 1000)
              : undefined,
          memoryBytes: Math.max(0, (s.memoryUsage ?? 0) - (s.memoryCache ?? 0)),
          memoryLimitBytes: limits?.memory
            ? parseMemoryBytes(limits.memory)
            : undefined,
          cpuLimitMillicores: limits?.cpu
            ? parseCpuMillicores(limits.cpu)
            : undefined,
        };
      }),
    };
  }

  #remember(key: string, at: number, seconds: Map<string, number>) {
    this.#cpu.set(key, { at, seconds });
    // Forget pods nobody looked at within the window.
    for (const [k, v] of this.#cpu) {
      if (at - v.at > CPU_WINDOW_MS) this.#cpu.delete(k);
    }
  }

  /**
   * Takes an instance out of the Service's endpoints, or puts it back, by its
   * `k2.io/traffic` label. The pod keeps running and stays in its ReplicaSet.
   */
  async setTraffic(
    ref: CompoundEntityRef,
    address: InstanceAddress,
    inTraffic: boolean,
    caller: Caller,
  ): Promise<{ inTraffic: boolean }> {
    const service = stringifyEntityRef(ref);
    const what = inTraffic
      ? `Put ${address.pod} back into traffic`
      : `Take ${address.pod} out of traffic`;
    return this.#gate.audited(
      caller,
      inTraffic ? 'instance-traffic-on' : 'instance-traffic-off',
      {
        service,
        environment: address.environment,
        summary: `${what} (${address.cluster})`,
      },
      {
        permission: k2InstanceManagePermission,
        verb: 'manage the instances of',
      },
      async () => {
        const { pod } = await this.#resolver.instance(ref, address);
        if (pod.metadata.deletionTimestamp) {
          throw new ConflictError(`Instance '${address.pod}' is terminating`);
        }
        await this.#applyPod(address.cluster, pod, {
          traffic: inTraffic ? 'on' : 'off',
        });
        return { inTraffic };
      },
    );
  }

  /**
   * Restarts one instance (a graceful delete; its ReplicaSet starts a replacement) or
   * destroys it (deleted at once, no drain). The pod is marked first, so its
   * historical record says who ended it and how.
   */
  async end(
    ref: CompoundEntityRef,
    address: InstanceAddress,
    how: EndedByMark['end'],
    caller: Caller,
  ): Promise<void> {
    const service = stringifyEntityRef(ref);
    await this.#gate.audited(
      caller,
      how === 'restarted' ? 'instance-restart' : 'instance-destroy',
      {
        service,
        environment: address.environment,
        summary: `${how === 'restarted' ? 'Restart' : 'Destroy'} ${
          address.pod
        } (${address.cluster})`,
      },
      {
        permission: k2InstanceManagePermission,
        verb: 'manage the instances of',
      },
      async () => {
        const { pod } = await this.#resolver.instance(ref, address);
        const mark: EndedByMark = {
          end: how,
          actor: actorOf(caller.credentials),
        };
        await this.#applyPod(address.cluster, pod, {
          endedBy: JSON.stringify(mark),
        });
        await this.#access.delete(
          address.cluster,
          { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata },
          how === 'destroyed' ? { gracePeriodSeconds: 0 } : {},
        );
        return {};
      },
    );
  }

  /**
   * Applies K2's fields of a pod. Server-side apply drops fields a manager stops
   * sending, so every apply carries the traffic label (and the end mark once set).
   */
  async #applyPod(
    cluster: string,
    pod: KubeObject,
    change: { traffic?: 'on' | 'off'; endedBy?: string },
  ) {
    const { namespace, name, resourceVersion } = pod.metadata;
    const traffic = change.traffic ?? pod.metadata.labels?.[LABEL_TRAFFIC];
    const endedBy =
      change.endedBy ?? pod.metadata.annotations?.[ANNOTATION_ENDED_BY];
    await this.#access.apply(
      cluster,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          resourceVersion,
          ...(traffic ? { labels: { [LABEL_TRAFFIC]: traffic } } : {}),
          ...(endedBy
            ? { annotations: { [ANNOTATION_ENDED_BY]: endedBy } }
            : {}),
        },
      },
      { force: true },
    );
  }
}

function cpuCounters(
  samples: Array<{ container: string; cpuSeconds?: number }>,
) {
  return new Map(
    samples
      .filter(s => s.cpuSeconds !== undefined)
      .map(s => [s.container, s.cpuSeconds!]),
  );
}

function converge(
  rows: Map<string, K2ConvergedEvent>,
  cluster: string,
  object: string,
  event: KubeObject,
) {
  const type = event.type === 'Warning' ? 'Warning' : 'Normal';
  const reason = event.reason ?? '';
  const key = `${cluster}|${event.metadata.namespace}|${object}|${type}|${reason}`;
  const first = event.firstTimestamp ?? event.metadata.creationTimestamp;
  const last = event.lastTimestamp ?? first;
  const row = rows.get(key);
  if (!row) {
    rows.set(key, {
      cluster,
      namespace: event.metadata.namespace!,
      object,
      type,
      reason,
      message: event.message ?? '',
      count: event.count ?? 1,
      firstSeen: first,
      lastSeen: last,
    });
    return;
  }
  row.count += event.count ?? 1;
  if (first && (!row.firstSeen || first < row.firstSeen)) row.firstSeen = first;
  if (last && (!row.lastSeen || last > row.lastSeen)) {
    row.lastSeen = last;
    row.message = event.message ?? row.message;
  }
}
