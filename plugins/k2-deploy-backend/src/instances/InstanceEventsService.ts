import { CompoundEntityRef } from '@backstage/catalog-model';
import { K2ConvergedEvent, K2EventList } from '@internal/plugin-k2-common';
import {
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { serviceEvents } from '../runtime/ServiceRuntimeService';
import { readTargets } from './reads';

/** Converged event rows returned at most. */
const MAX_EVENTS = 200;

/**
 * A service's Kubernetes events, converged: one row per cluster, object, type and
 * reason, with the total count, first and last seen, and the newest message. Read from
 * the watch caches only (never an API server), newest row first, at most
 * `MAX_EVENTS` rows, once the caller may read the service's runtime.
 */
export class InstanceEventsService {
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

  /** The service's events from the caches, converged, newest first. */
  async list(
    ref: CompoundEntityRef,
    query: {
      environment?: string;
      cluster?: string;
      pod?: string;
      warningsOnly?: boolean;
    },
    caller: Caller,
  ): Promise<K2EventList> {
    const { spec, targets } = await readTargets(
      { resolver: this.#resolver, gate: this.#gate },
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
}

/** Adds one event to its row (cluster, namespace, object, type, reason). */
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
