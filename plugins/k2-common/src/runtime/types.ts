/**
 * The service runtime view: what runs for one catalog service in every cluster of its
 * environments, served from K2's watch caches. Shared by the backend route and the
 * frontend client.
 */

/**
 * How current a cluster's cached data is.
 * - `syncing`: the first full list has not completed; no data yet.
 * - `ok`: every watch is live; the data is current.
 * - `degraded`: a list or watch is failing and being retried; the last-known data is
 *   served and marked `stale`.
 */
export type K2ClusterSyncStatus = 'syncing' | 'ok' | 'degraded';

/** Health of one cluster's watch cache. */
export interface K2ClusterHealth {
  cluster: string;
  status: K2ClusterSyncStatus;
  /** True when the data may be out of date (`status` is not `ok`). */
  stale: boolean;
  /** When every watched resource last completed a full list (ISO 8601). */
  syncedAt?: string;
  /** When the last watch event or bookmark arrived (ISO 8601). */
  lastEventAt?: string;
  /** The newest failure, while it lasts: which resource and what went wrong. */
  error?: { resource: string; message: string; at: string };
  /** Resources whose watch is not live, e.g. `['pods', 'events']`. */
  pendingResources: string[];
  /** Cached objects per resource type, e.g. `{ pods: 16667, ... }`. */
  objects: Record<string, number>;
}

/** Rollout state of a workload, as `kubectl rollout status` reads it. */
export type K2RolloutState = 'complete' | 'progressing' | 'paused' | 'failed';

export interface K2WorkloadView {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  /** Images of the pod template's containers. */
  images: string[];
  replicas: {
    desired: number;
    updated: number;
    ready: number;
    available: number;
  };
  rollout: { state: K2RolloutState; message: string };
  /** The `deployment.kubernetes.io/revision` or the StatefulSet's update revision. */
  revision?: string;
  /** The HorizontalPodAutoscaler targeting this workload, if any. */
  autoscaler?: {
    name: string;
    minReplicas: number;
    maxReplicas: number;
    currentReplicas: number;
    desiredReplicas: number;
  };
  createdAt?: string;
  /** `canary` for the service's canary Deployment (`<name>-canary`); absent otherwise. */
  track?: 'canary';
}

export interface K2PodView {
  namespace: string;
  name: string;
  phase: string;
  /** Ready containers over all containers, e.g. `{ ready: 1, total: 1 }`. */
  containers: { ready: number; total: number };
  ready: boolean;
  /** Waiting or terminated reason of a container, e.g. `CrashLoopBackOff`, when not running. */
  reason?: string;
  restarts: number;
  node?: string;
  ip?: string;
  images: string[];
  /** Name of the workload that owns the pod (through its ReplicaSet for Deployments). */
  workload?: string;
  createdAt?: string;
  startedAt?: string;
  terminating: boolean;
  /** Number of the release that created the pod (its `k2.io/release` label). */
  release?: number;
  /**
   * Whether the service's Service selects the pod (`k2.io/traffic: on`). An instance
   * taken out of traffic keeps running for diagnosis.
   */
  inTraffic: boolean;
  /**
   * `canary` for a pod of the service's canary Deployment (`k2.io/track: canary`): it
   * matches the stable selector, so it is one of the service's instances. Absent for
   * stable pods.
   */
  track?: 'canary';
  /** Per container: state, restarts and how the previous run ended. */
  containerStatuses: K2ContainerStatusView[];
}

export interface K2ContainerStatusView {
  name: string;
  image: string;
  ready: boolean;
  restarts: number;
  state: 'waiting' | 'running' | 'terminated';
  reason?: string;
  startedAt?: string;
  /** The previous run's end, e.g. `OOMKilled` with exit code 137: its logs are readable. */
  lastTermination?: { reason?: string; exitCode?: number; finishedAt?: string };
}

export interface K2EventView {
  namespace: string;
  /** `Pod/payment-gateway-7d9c-x2x`, the object the event is about. */
  object: string;
  reason: string;
  message: string;
  count: number;
  firstSeen?: string;
  lastSeen?: string;
}

/** One cluster of one environment, from the cache, with its health. */
export interface K2ClusterRuntime {
  cluster: string;
  weight: number;
  health: K2ClusterHealth;
  workloads: K2WorkloadView[];
  pods: K2PodView[];
  /** Newest warning events of the service's objects, newest first. */
  warnings: K2EventView[];
}

export interface K2EnvironmentRuntime {
  name: string;
  title: string;
  /** The namespace releases go to in this environment. */
  namespace: string;
  clusters: K2ClusterRuntime[];
}

/** Response of `GET /api/k2/clusters`. */
export interface K2ClusterList {
  items: K2ClusterHealth[];
}

/** Response of `GET /api/k2-deploy/services/:namespace/:name/runtime`. */
export interface K2ServiceRuntime {
  entityRef: string;
  kubernetesId: string;
  environments: K2EnvironmentRuntime[];
  /** Annotation problems of the service, each naming the annotation. */
  problems: string[];
  /** When the view was assembled (ISO 8601). */
  generatedAt: string;
}
