import { K2ReleaseSpec } from './types';

/**
 * Canary releases on the Deploy side: a new image runs as the Deployment
 * `<name>-canary` beside the stable one, in the same namespace and clusters, its pods
 * labelled `k2.io/track: canary` (see `LABEL_TRACK`). The stable Deployment and the
 * Service are never touched by a canary; promoting it is a release of its image.
 */

/**
 * - `running`: the canary Deployments exist (a promotion may be under way);
 * - `promoted`: its release succeeded and the canary Deployments were removed;
 * - `aborted`: removed on request, all traffic back on the stable pods;
 * - `failed`: a cluster refused it; its message says which and why.
 */
export type K2CanaryStatus = 'running' | 'promoted' | 'aborted' | 'failed';

/** What a user sends to start a canary. */
export interface K2CanaryInput {
  /** A full image reference, or only a tag when the service declares `k2.io/image`. */
  image: string;
  /** Canary replicas in each cluster of the environment; 1 unless given. */
  replicas?: number;
}

/** One cluster's canary pods, from the watch cache. */
export interface K2CanaryClusterPods {
  cluster: string;
  /** Canary replicas asked for in this cluster. */
  replicas: number;
  /** Canary pods that are ready. */
  ready: number;
  /** Canary pods that exist (not terminating). */
  total: number;
}

/** A canary, as the API shows it. */
export interface K2Canary {
  id: string;
  service: string;
  environment: string;
  namespace: string;
  image: string;
  /** Replicas in each cluster. */
  replicas: number;
  status: K2CanaryStatus;
  /** Why it ended, or what it is waiting for. */
  message?: string;
  /** The stable release whose pod template the canary runs, with its image replaced. */
  baseRelease: { id: string; number: number };
  /** The release promoting it, once asked for; the canary runs until it succeeded. */
  promotion?: { releaseId: string; number: number };
  startedBy: string;
  startedAt: string;
  endedBy?: string;
  endedAt?: string;
  /** The full spec the canary Deployments are rendered from (secret values masked). */
  spec: K2ReleaseSpec;
  /** Live pods per cluster while it runs; empty once it ended. */
  clusters: K2CanaryClusterPods[];
}

/** Response of `GET .../environments/:environment/canary`. */
export interface K2CanaryState {
  /** The running canary, else the newest that ended; absent when there was none. */
  canary?: K2Canary;
}
