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

/**
 * A step the release driver owes a release after its last transition:
 * - `activity`: the activity log entry of that transition;
 * - `rollback`: the automatic rollback of a release that failed or timed out;
 * - `discard-secrets`: deleting the secret values staged for a release that expired.
 */
export type ReleaseFollowUp = 'activity' | 'rollback' | 'discard-secrets';

/** A release as stored: the API view plus the engine's bookkeeping. */
export interface StoredRelease extends Omit<K2Release, 'progress'> {
  template: ReleaseTemplate;
  progress: StoredClusterProgress[];
  /**
   * Whether the request named its replica count. One that did not follows the current
   * count when it is approved. Undefined for releases stored before this was kept.
   */
  replicasRequested?: boolean;
  /** Steps still owed after the last transition; absent when none are. */
  followUps?: ReleaseFollowUp[];
  /** When the follow-ups may next be tried (ISO 8601). */
  followUpsDue?: string;
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
  replicasRequested?: boolean;
  /** The digest the registry gave for the spec's image before the release was made. */
  imageDigest?: string;
  /**
   * Occupy the target from the start although the status is `pending-approval`: a
   * release whose secret values are written before the driver may apply it (the
   * engine lets it go within the request).
   */
  holdTarget?: boolean;
}

export interface ReleasePatch {
  status?: K2ReleaseStatus;
  reason?: string;
  approvedBy?: string;
  startedAt?: Date;
  finishedAt?: Date;
  progress?: StoredClusterProgress[];
  /** A waiting release brought up to date with what runs when it is approved. */
  spec?: K2ReleaseSpec;
  /**
   * The digest found for the image when a waiting release is approved; null when its
   * registry is not checked any more.
   */
  imageDigest?: string | null;
  /**
   * Steps owed once this transition is made, recorded in the same update (so they are
   * never lost between the transition and their doing) and due at once.
   */
  followUps?: ReleaseFollowUp[];
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
   * Inserts a release numbered after the target's last one. A release in flight
   * (applying, rolling out, or `holdTarget`) needs the target free of another in
   * flight; a release waiting for approval needs it free of another waiting one (the
   * two do not block each other). Otherwise inserts nothing and returns the release
   * in the way as `running`.
   */
  create(
    release: NewRelease,
  ): Promise<{ created: StoredRelease } | { running: StoredRelease }>;
  get(id: string): Promise<StoredRelease | undefined>;
  /**
   * Applies the patch only if the release is still in `from` (compare and set);
   * returns the updated release, or undefined when another writer got there first, or
   * when a waiting release would go in flight while another occupies the target. A
   * finished status frees the target.
   */
  transition(
    id: string,
    from: K2ReleaseStatus,
    patch: ReleasePatch,
  ): Promise<StoredRelease | undefined>;
  /** Releases occupying their target (in flight, or held), oldest first. */
  listActive(): Promise<StoredRelease[]>;
  /** The release occupying the target, if any. */
  getActive(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined>;
  /** Releases waiting for approval created before the given time, oldest first. */
  listWaiting(createdBefore: Date): Promise<StoredRelease[]>;
  /** Releases with follow-ups due at `now` (not claimed by a driver), oldest first. */
  listFollowUpsDue(now: Date): Promise<StoredRelease[]>;
  /**
   * Claims a release's due follow-ups until `until` (compare and set on their due
   * time): returns the release when this caller got them, undefined when none are due
   * or another driver claimed them first.
   */
  claimFollowUps(
    id: string,
    now: Date,
    until: Date,
  ): Promise<StoredRelease | undefined>;
  /**
   * Records what remains of a release's follow-ups after an attempt: none clears them;
   * otherwise they are due again at `retryAt`.
   */
  settleFollowUps(
    id: string,
    remaining: ReleaseFollowUp[],
    retryAt: Date,
  ): Promise<void>;
  /**
   * The target's newest release that went in flight (applying, rolling out, or
   * finished from there), so not one that only waited for approval.
   */
  getLatestDispatched(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined>;
  /** The target's newest release that succeeded. */
  getCurrent(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined>;
  /**
   * The releases of a service whose specs K2 may still apply, by environment and
   * newest first: per environment the last `succeeded` releases that succeeded (the
   * current one and those a rollback can re-apply), and every release waiting for
   * approval or in flight.
   */
  listRetained(service: string, succeeded: number): Promise<StoredRelease[]>;
  /** A page of history, newest first. */
  history(
    query: HistoryQuery,
  ): Promise<{ items: StoredRelease[]; nextCursor?: string; total: number }>;
}
