import type { TrafficSite, ValidSite } from '../sites/validateSite';

/** One file of a site or bundle; `path` is relative, under `k2/`. */
export interface RenderedFile {
  path: string;
  content: string;
}

/** A published version of a site, as stored. */
export interface StoredSiteVersion {
  /** Lowercased entity ref of the service. */
  service: string;
  environment: string;
  number: number;
  cluster: string;
  /** The site as its author wrote it. */
  document: TrafficSite;
  /** Every server name the version answers, the test domain first. */
  serverNames: string[];
  /** The validated upstreams, from which member files are rendered. */
  upstreams: ValidSite['upstreams'];
  /** The files as published: the site file and its members at that time. */
  files: RenderedFile[];
  contentHash: string;
  message: string;
  createdBy: string;
  createdAt: string;
  rollbackOf?: number;
  /** Who approved the change this version published, in an environment that needs it. */
  approvedBy?: string;
}

/** A version to record; the store numbers it. */
export type NewSiteVersion = Omit<StoredSiteVersion, 'number' | 'createdAt'>;

/** How a site change that waited for approval stands. */
export type SiteChangeStatus =
  | 'waiting'
  | 'approved'
  | 'rejected'
  | 'withdrawn';

/**
 * A publish or rollback of a site in an environment whose changes need approval: it
 * waits, neither rendered into a bundle nor delivered, until an approver decides.
 */
export interface StoredSiteChange {
  id: number;
  /** Lowercased entity ref of the service. */
  service: string;
  environment: string;
  cluster: string;
  /** The site to publish once approved. */
  document: TrafficSite;
  message: string;
  rollbackOf?: number;
  /** `sha256:<hex>` of the files as rendered when it was asked for. */
  contentHash: string;
  requestedBy: string;
  requestedAt: string;
  status: SiteChangeStatus;
  decidedBy?: string;
  decidedAt?: string;
  /** Why it was rejected or withdrawn. */
  reason?: string;
  /** The version its approval published. */
  version?: number;
}

/** A change to record as waiting; the store gives it its id. */
export type NewSiteChange = Pick<
  StoredSiteChange,
  | 'service'
  | 'environment'
  | 'cluster'
  | 'document'
  | 'message'
  | 'rollbackOf'
  | 'contentHash'
  | 'requestedBy'
>;

/** What an Nginx cluster's agents pull. */
export interface StoredBundle {
  cluster: string;
  version: string;
  hash: string;
  files: RenderedFile[];
  updatedAt: string;
}

/** The last report of one Nginx host. */
export interface HostReport {
  cluster: string;
  host: string;
  version: string;
  ok: boolean;
  error?: string;
  /** The last version the host reported applied, if any. */
  appliedVersion?: string;
  reportedAt: string;
}

/**
 * Sites' versions, clusters' bundles and hosts' reports.
 *
 * Invariants: versions are numbered 1, 2, 3... per service and environment without
 * gaps and never change; a cluster's bundle only moves from the version a writer read
 * to the one it built (compare-and-set), so two backends publishing at once cannot
 * lose each other's site; a version is recorded only together with the bundle that
 * contains it; a site has at most one change waiting for approval (a unique key), and
 * a change leaves `waiting` once (compare-and-set), approved only together with the
 * version it published.
 */
export interface TrafficStore {
  /** The newest version of every site in `environments`. */
  currentVersions(environments: string[]): Promise<StoredSiteVersion[]>;

  /** The newest version of one site, if it was ever published. */
  currentVersion(
    service: string,
    environment: string,
  ): Promise<StoredSiteVersion | undefined>;

  getVersion(
    service: string,
    environment: string,
    number: number,
  ): Promise<StoredSiteVersion | undefined>;

  /** Versions newest first; `before` pages on. Documents and files are left out. */
  listVersions(query: {
    service: string;
    environment: string;
    limit: number;
    before?: number;
  }): Promise<{
    items: Array<
      Omit<
        StoredSiteVersion,
        'document' | 'files' | 'upstreams' | 'serverNames'
      >
    >;
    total: number;
  }>;

  /**
   * Records `version` as the site's next number and moves the cluster's bundle from
   * `expectedBundleVersion` (undefined: the cluster has none yet) to `bundle`, in one
   * transaction.
   *
   * With `approves`, the same transaction moves that waiting change to `approved`
   * (by `version.approvedBy`, naming the new version).
   *
   * @returns the stored version, or undefined when the bundle was no longer at
   *   `expectedBundleVersion` (nothing is written then)
   * @throws ConflictError when the change `approves` names is no longer waiting
   *   (nothing is written then)
   */
  publish(
    version: NewSiteVersion,
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedBundleVersion: string | undefined,
    approves?: number,
  ): Promise<StoredSiteVersion | undefined>;

  /**
   * Records `change` as the site's waiting change.
   *
   * @returns the stored change, or undefined when the site already has one waiting
   *   (nothing is written then)
   */
  requestChange(change: NewSiteChange): Promise<StoredSiteChange | undefined>;

  getChange(id: number): Promise<StoredSiteChange | undefined>;

  /** The site's change waiting for approval, if there is one. */
  waitingChange(
    service: string,
    environment: string,
  ): Promise<StoredSiteChange | undefined>;

  /**
   * Closes a waiting change without publishing it: rejected by an approver, or
   * withdrawn by its requester. The change is kept, and the site may have a new one.
   *
   * @returns the closed change, or undefined when it was no longer waiting
   */
  closeChange(
    id: number,
    decision: {
      status: 'rejected' | 'withdrawn';
      decidedBy: string;
      reason: string;
    },
  ): Promise<StoredSiteChange | undefined>;

  /**
   * Moves the cluster's bundle from `expectedVersion` to `bundle`.
   *
   * @returns false when the bundle was no longer at `expectedVersion`
   */
  saveBundle(
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedVersion: string | undefined,
  ): Promise<boolean>;

  getBundle(cluster: string): Promise<StoredBundle | undefined>;

  /** The current bundle version of every cluster that has one. */
  bundleVersions(): Promise<Map<string, string>>;

  /** Keeps the host's report; an `ok` report also becomes its applied version. */
  recordReport(report: Omit<HostReport, 'appliedVersion'>): Promise<void>;

  listReports(cluster: string): Promise<HostReport[]>;
}
