import { K2ClusterAccess } from '@internal/plugin-k2-node';
import { OfferedClass, StorageConfig } from '../config/readStorageConfig';

/** A configured class that exists in every cluster of the environment. */
export interface AvailableClass extends OfferedClass {
  /** Every cluster's StorageClass allows volume expansion. */
  allowExpansion: boolean;
}

/** The classes of one environment: offered and available, and the configured ones that are not. */
export interface EnvironmentClasses {
  items: AvailableClass[];
  missing: { name: string; clusters: string[] }[];
}

interface ClusterClasses {
  /** By name: whether the class allows expansion. */
  expansion: Map<string, boolean>;
  readAt: number;
}

/** How long one cluster's StorageClass list is used before it is read again. */
const TTL_MS = 60_000;

/**
 * The StorageClass objects of each cluster, read at most once a minute per cluster
 * (classes are few, cluster-wide and change when an administrator installs a driver;
 * they are not among the watched types). A cluster that cannot be read has no class
 * until it answers, so nothing is offered there.
 */
export class StorageClasses {
  readonly #access: K2ClusterAccess;
  readonly #config: StorageConfig;
  readonly #clusters = new Map<string, Promise<ClusterClasses>>();

  constructor(options: { access: K2ClusterAccess; config: StorageConfig }) {
    this.#access = options.access;
    this.#config = options.config;
  }

  /** The environment's configured classes against the StorageClasses of `clusters`. */
  async forEnvironment(
    environment: string,
    clusters: string[],
  ): Promise<EnvironmentClasses> {
    const offered = this.#config.classes.get(environment) ?? [];
    const lists = await Promise.all(clusters.map(c => this.#cluster(c)));
    const items: AvailableClass[] = [];
    const missing: EnvironmentClasses['missing'] = [];
    for (const cls of offered) {
      const without = clusters.filter(
        (_, i) => !lists[i].expansion.has(cls.name),
      );
      if (without.length > 0) {
        missing.push({ name: cls.name, clusters: without });
        continue;
      }
      items.push({
        ...cls,
        allowExpansion: lists.every(l => l.expansion.get(cls.name) === true),
      });
    }
    return { items, missing };
  }

  #cluster(cluster: string): Promise<ClusterClasses> {
    const cached = this.#clusters.get(cluster);
    if (cached) return cached;
    const read = this.#read(cluster);
    this.#clusters.set(cluster, read);
    read.then(
      result => {
        const expire = setTimeout(() => {
          if (this.#clusters.get(cluster) === read)
            this.#clusters.delete(cluster);
        }, Math.max(0, result.readAt + TTL_MS - Date.now()));
        expire.unref?.();
      },
      () => this.#clusters.delete(cluster),
    );
    return read;
  }

  async #read(cluster: string): Promise<ClusterClasses> {
    const readAt = Date.now();
    try {
      const list = await this.#access.get<{
        items: { metadata: { name: string }; allowVolumeExpansion?: boolean }[];
      }>(cluster, '/apis/storage.k8s.io/v1/storageclasses');
      return {
        expansion: new Map(
          list.items.map(c => [
            c.metadata.name,
            c.allowVolumeExpansion === true,
          ]),
        ),
        readAt,
      };
    } catch {
      // Unreadable now: no class here, and asked again on the next request.
      this.#clusters.delete(cluster);
      return { expansion: new Map(), readAt: 0 };
    }
  }
}
