import { K2ConfigFormat } from '@internal/plugin-k2-config-common';

/** A config file as stored: one per service, environment and name. */
export interface StoredConfigFile {
  id: number;
  /** Lowercased entity ref of the service. */
  service: string;
  environment: string;
  name: string;
  format: K2ConfigFormat;
  sensitive: boolean;
  description?: string;
  mountPath: string;
  createdBy: string;
  createdAt: string;
  deletedAt?: string;
  deletedBy?: string;
}

/** What a new (or revived) file is. */
export type NewConfigFile = Omit<
  StoredConfigFile,
  'id' | 'createdAt' | 'deletedAt' | 'deletedBy'
>;

/** A version to record. `content` is dropped for a sensitive version. */
export interface NewConfigVersion {
  number: number;
  hash: string;
  object: string;
  sensitive: boolean;
  size: number;
  content: string;
  author: string;
  message: string;
  restoredFrom?: number;
}

/** A version as stored; `content` is absent for a sensitive version. */
export interface StoredConfigVersion extends Omit<NewConfigVersion, 'content'> {
  fileId: number;
  content?: string;
  createdAt: string;
  collectedAt?: string;
}

/** A file with its latest version and how many it has. */
export interface ConfigFileSummary {
  file: StoredConfigFile;
  latest: StoredConfigVersion;
  versionCount: number;
}

/** A version retention may remove the objects of, with its file. */
export interface RetentionCandidate {
  file: StoredConfigFile;
  version: StoredConfigVersion;
}

/**
 * Config files and their versions.
 *
 * Invariants: a version is never changed except to mark it collected; version numbers
 * are unique per file (a second save on the same base loses, so no save overwrites
 * another); a sensitive version's content is never written; a deleted file keeps its
 * row and versions.
 */
export interface ConfigStore {
  /** Files that are not deleted, by name, each with its latest version. */
  listFiles(service: string, environment: string): Promise<ConfigFileSummary[]>;

  /** A file that is not deleted, or undefined. */
  getFile(
    service: string,
    environment: string,
    name: string,
  ): Promise<StoredConfigFile | undefined>;

  /**
   * Records a file with its first version; a deleted file of that name comes back
   * with the new settings, its numbering going on after its last version.
   *
   * @returns undefined when a file of that name exists (and is not deleted), or won
   *   the race to be created
   */
  createFile(
    file: NewConfigFile,
    version: Omit<NewConfigVersion, 'number'>,
  ): Promise<ConfigFileSummary | undefined>;

  /** @returns undefined when `version.number` is taken (someone saved first) */
  addVersion(
    fileId: number,
    version: NewConfigVersion,
  ): Promise<StoredConfigVersion | undefined>;

  latestVersion(fileId: number): Promise<StoredConfigVersion | undefined>;

  getVersion(
    fileId: number,
    number: number,
  ): Promise<StoredConfigVersion | undefined>;

  /** Versions newest first, below `before` when given. */
  listVersions(
    fileId: number,
    query: { limit: number; before?: number },
  ): Promise<{ items: StoredConfigVersion[]; total: number }>;

  /** Every version of a file, newest first, without content. */
  allVersions(fileId: number): Promise<StoredConfigVersion[]>;

  /** Marks the file deleted and every version collected. */
  markDeleted(fileId: number, by: string): Promise<void>;

  /**
   * Versions of files that are not deleted which retention may collect: not collected
   * yet, beyond the newest `keepVersions` of their file and created before
   * `createdBefore`. Whether a release or a kept version still needs their object is
   * for the caller to decide.
   */
  retentionCandidates(options: {
    keepVersions: number;
    createdBefore: Date;
  }): Promise<RetentionCandidate[]>;

  /** Marks versions collected (their objects are gone from the clusters). */
  markCollected(fileId: number, numbers: number[]): Promise<void>;
}
