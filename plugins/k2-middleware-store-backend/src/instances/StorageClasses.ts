import { K2ClusterAccess } from '@internal/plugin-k2-node';

/** A StorageClass of a cluster, as the store offers it. */
export interface ClusterStorageClass {
  name: string;
  /** `allowVolumeExpansion`: volumes of this class may grow. */
  expandable: boolean;
  /** Marked the cluster's default (`storageclass.kubernetes.io/is-default-class`). */
  default: boolean;
}

/** How long one cluster's StorageClass list is used before it is read again. */
const TTL_MS = 60_000;

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

/**
 * The StorageClasses of each cluster, read at most once a minute per cluster (classes
 * are few, cluster-wide and not among the watched types). A cluster that cannot be
 * read gives undefined, and is asked again on the next call.
 */
export class StorageClasses {
  readonly #access: K2ClusterAccess;
  readonly #read = new Map<
    string,
    { at: number; classes: Promise<ClusterStorageClass[] | undefined> }
  >();

  constructor(options: { access: K2ClusterAccess }) {
    this.#access = options.access;
  }

  /** The cluster's classes by name, or undefined when the cluster cannot say now. */
  async of(cluster: string): Promise<ClusterStorageClass[] | undefined> {
    const cached = this.#read.get(cluster);
    if (cached && Date.now() - cached.at < TTL_MS) return cached.classes;
    const classes = this.#list(cluster);
    this.#read.set(cluster, { at: Date.now(), classes });
    const result = await classes;
    if (!result) this.#read.delete(cluster);
    return result;
  }

  async #list(cluster: string): Promise<ClusterStorageClass[] | undefined> {
    try {
      const list = await this.#access.get<{
        items: {
          metadata: { name: string; annotations?: Record<string, string> };
          allowVolumeExpansion?: boolean;
        }[];
      }>(cluster, '/apis/storage.k8s.io/v1/storageclasses');
      return list.items
        .map(c => ({
          name: c.metadata.name,
          expandable: c.allowVolumeExpansion === true,
          default: c.metadata.annotations?.[DEFAULT_CLASS] === 'true',
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return undefined;
    }
  }
}
