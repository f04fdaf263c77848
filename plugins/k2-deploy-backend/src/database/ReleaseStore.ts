import {
  K2Release,
  K2ReleaseClusterProgress,
  K2ReleaseKind,
  K2ReleaseSpec,
  K2ReleaseStatus,
} from '@internal/plugin-k2-common';

/** The pod template a release applies: its own, or the one it keeps (scale). */
export interface ReleaseTemplate {
  releaseId: string;
  number: number;
  restartedAt?: string;
}

/** What the engine keeps per cluster beyond what the API shows. */
export interface StoredClusterProgress extends K2ReleaseClusterProgress {
  /** The Deployment's metadata.generation after K2's apply; undefined until applied. */
  generation?: number;
}

/** A release as stored: the API view plus the engine's bookkeeping. */
export interface StoredRelease extends Omit<K2Release, 'progress'> {
  template: ReleaseTemplate;
  progress: StoredClusterProgress[];
}

export interface NewRelease {
  service: string;
  environment: string;
  namespace: string;
  kind: K2ReleaseKind;
  status: K2ReleaseStatus;
  spec: K2ReleaseSpec;
  /** Omitted: the new release's own template. */
  template?: Omit<ReleaseTemplate, 'number'> & { number: number };
  message?: string;
  rollbackOf?: string;
  createdBy: string;
}

export interface ReleasePatch {
  status?: K2ReleaseStatus;
  reason?: string;
  approvedBy?: string;
  startedAt?: Date;
  finishedAt?: Date;
  progress?: StoredClusterProgress[];
}

export interface HistoryQuery {
  service: string;
  environment?: string;
  /** Only releases older than this cursor (from a previous page). */
  before?: string;
  limit: number;
}

/** Persistence of releases. */
export interface ReleaseStore {
  /**
   * Inserts a release numbered after the target's last one. When the target already
   * has a release in flight, inserts nothing and returns that release instead.
   */
  create(
    release: NewRelease,
  ): Promise<{ created: StoredRelease } | { running: StoredRelease }>;
  get(id: string): Promise<StoredRelease | undefined>;
  /**
   * Applies the patch only if the release is still in `from` (compare and set);
   * returns the updated release, or undefined when another writer got there first.
   * A status outside the active ones frees the target.
   */
  transition(
    id: string,
    from: K2ReleaseStatus,
    patch: ReleasePatch,
  ): Promise<StoredRelease | undefined>;
  /** Releases in flight, oldest first. */
  listActive(): Promise<StoredRelease[]>;
  /** The target's release in flight, if any. */
  getActive(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined>;
  /** The target's newest release that succeeded. */
  getCurrent(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined>;
  /** A page of history, newest first. */
  history(
    query: HistoryQuery,
  ): Promise<{ items: StoredRelease[]; nextCursor?: string; total: number }>;
}
