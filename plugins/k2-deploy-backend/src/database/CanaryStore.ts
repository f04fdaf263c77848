import {
  K2Canary,
  K2CanaryStatus,
  K2ReleaseSpec,
} from '@internal/plugin-k2-common';

/** A canary as stored: the API view without its live pods. */
export type StoredCanary = Omit<K2Canary, 'clusters'>;

export interface NewCanary {
  service: string;
  environment: string;
  namespace: string;
  image: string;
  replicas: number;
  spec: K2ReleaseSpec;
  baseRelease: { id: string; number: number };
  startedBy: string;
}

/** What a canary is expected to be in for a change to apply (compare and set). */
export interface CanaryExpectation {
  status: K2CanaryStatus;
  /** The promotion release it must have; null: none. Unchecked when undefined. */
  promotionReleaseId?: string | null;
}

export interface CanaryPatch {
  /** A status other than `running` ends the canary and frees its target. */
  status?: K2CanaryStatus;
  message?: string;
  /** Set on a promotion; null drops a promotion that did not go through. */
  promotion?: { releaseId: string; number: number } | null;
  endedBy?: string;
  endedAt?: Date;
}

/** Persistence of canaries. */
export interface CanaryStore {
  /**
   * Inserts a running canary if the target (service and environment) has none running;
   * otherwise inserts nothing and returns the running one. The database's unique key
   * decides between concurrent starts.
   */
  create(
    canary: NewCanary,
  ): Promise<{ created: StoredCanary } | { running: StoredCanary }>;
  get(id: string): Promise<StoredCanary | undefined>;
  /** The running canary of the target, else its newest one. */
  getLatest(
    service: string,
    environment: string,
  ): Promise<StoredCanary | undefined>;
  /**
   * Applies the patch only while the canary is as `expected`; returns the updated
   * canary, or undefined when another writer changed it first.
   */
  transition(
    id: string,
    expected: CanaryExpectation,
    patch: CanaryPatch,
  ): Promise<StoredCanary | undefined>;
  /** Running canaries with a promotion under way, oldest first. */
  listPromoting(): Promise<StoredCanary[]>;
}
