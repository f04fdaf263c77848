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
}

/** A version to record; the store numbers it. */
export type NewSiteVersion = Omit<StoredSiteVersion, 'number' | 'createdAt'>;

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
 * contains it.
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
   * @returns the stored version, or undefined when the bundle was no longer at
   *   `expectedBundleVersion` (nothing is written then)
   */
  publish(
    version: NewSiteVersion,
    bundle: Omit<StoredBundle, 'updatedAt'>,
    expectedBundleVersion: string | undefined,
  ): Promise<StoredSiteVersion | undefined>;

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
