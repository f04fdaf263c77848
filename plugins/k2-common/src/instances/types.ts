/**
 * Instances of a service beyond the live pod list: containers that no longer exist,
 * converged events, per-instance usage, and the actions on one instance. Shared by the
 * backend routes and the frontend client.
 */
import { K2EventView } from '../runtime/types';

/**
 * How a container run ended.
 * - `replaced`: a release (or rollback, scale with a new template) replaced its pod;
 * - `restarted`: a rolling restart of the service, or a restart of this one instance;
 * - `scaled-down`: fewer replicas were asked for;
 * - `destroyed`: someone destroyed this instance from K2;
 * - `oom-killed`, `crashed`, `completed`: the container itself ended (its pod may live on);
 * - `evicted`: the node evicted the pod;
 * - `deleted`: deleted outside K2 (kubectl, a controller); Kubernetes does not say by whom.
 */
export type K2ContainerEnd =
  | 'replaced'
  | 'restarted'
  | 'scaled-down'
  | 'destroyed'
  | 'oom-killed'
  | 'crashed'
  | 'completed'
  | 'evicted'
  | 'deleted';

/** A container run that has ended, kept for the retention period. */
export interface K2HistoricalContainer {
  id: string;
  environment: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  node?: string;
  ip?: string;
  image?: string;
  /** Number of the release that created the pod. */
  release?: number;
  /** Which run of the container this was: 0 for the first, then one per restart. */
  run: number;
  startedAt?: string;
  endedAt: string;
  end: K2ContainerEnd;
  /** A sentence for people, e.g. "Replaced by release #7" or "OOMKilled (exit 137)". */
  message: string;
  exitCode?: number;
  /** Who ended it, when K2 knows (restart or destroy from K2, or the releaser). */
  actor?: string;
  /** The pod's newest events when it ended, newest first. */
  events: K2EventView[];
}

/** Response of `GET .../instances/history`. */
export interface K2HistoricalContainerList {
  items: K2HistoricalContainer[];
  /** Pass as `before` for the next (older) page. */
  nextCursor?: string;
}

/** Events of one object and reason, converged into one row. */
export interface K2ConvergedEvent {
  cluster: string;
  namespace: string;
  /** `Pod/ledger-service-7d9c-x2x`, the object the events are about. */
  object: string;
  type: 'Normal' | 'Warning';
  reason: string;
  /** The newest message. */
  message: string;
  /** How many times it happened, over every event of this object and reason. */
  count: number;
  firstSeen?: string;
  lastSeen?: string;
}

/** Response of `GET .../events`. */
export interface K2EventList {
  items: K2ConvergedEvent[];
}

/** One container's usage, memory as usage minus page cache. */
export interface K2ContainerUsage {
  container: string;
  /** CPU in millicores since the pod's previous view; absent on its first view (not yet measured). */
  cpuMillicores?: number;
  /** Memory usage minus page cache, in bytes. */
  memoryBytes: number;
  /** Memory limit in bytes, when the container has one. */
  memoryLimitBytes?: number;
  cpuLimitMillicores?: number;
}

/** Response of `GET .../instances/:cluster/:pod/usage`. */
export interface K2InstanceUsage {
  cluster: string;
  pod: string;
  containers: K2ContainerUsage[];
  /** When the sample was taken (ISO 8601). */
  sampledAt: string;
}

/** Query of the log route. */
export interface K2LogQuery {
  container?: string;
  /** Lines from the end (default 500, at most 10,000). */
  tailLines?: number;
  /** The previous (terminated) container's logs. */
  previous?: boolean;
  /** Keep the stream open and send new lines as they come. */
  follow?: boolean;
  timestamps?: boolean;
}
