import { KubeObject } from './resources';

/** A change the store applied: `before` is absent for additions, `after` for deletions. */
export interface StoreChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  before?: KubeObject;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The objects of one resource type in one cluster, with a secondary index (by service,
 * or by involved object for events), so a lookup costs O(objects under that key).
 */
export class ObjectStore {
  readonly #objects = new Map<string, KubeObject>();
  readonly #index = new Map<string, Set<string>>();
  readonly #indexKeys: (object: KubeObject) => string[];

  constructor(indexKeys: (object: KubeObject) => string[]) {
    this.#indexKeys = indexKeys;
  }

  get size(): number {
    return this.#objects.size;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(namespace ? `${namespace}/${name}` : name);
  }

  /** The object stored under {@link objectKey}'s `namespace/name` (or `name`). */
  getByKey(key: string): KubeObject | undefined {
    return this.#objects.get(key);
  }

  list(): KubeObject[] {
    return [...this.#objects.values()];
  }

  /** Objects under an index key, e.g. a service's `backstage.io/kubernetes-id`. */
  byIndex(key: string): KubeObject[] {
    const keys = this.#index.get(key);
    if (!keys) return [];
    const result: KubeObject[] = [];
    for (const k of keys) {
      const object = this.#objects.get(k);
      if (object) result.push(object);
    }
    return result;
  }

  upsert(object: KubeObject): StoreChange {
    const key = objectKey(object);
    const before = this.#objects.get(key);
    if (before) this.#unindex(key, before);
    this.#objects.set(key, object);
    this.#addToIndex(key, object);
    return before
      ? { type: 'MODIFIED', object, before }
      : { type: 'ADDED', object };
  }

  remove(object: KubeObject): StoreChange | undefined {
    const key = objectKey(object);
    const before = this.#objects.get(key);
    if (!before) return undefined;
    this.#unindex(key, before);
    this.#objects.delete(key);
    return { type: 'DELETED', object: before };
  }

  /**
   * Makes the store equal to a fresh list: adds and updates what is listed, deletes what
   * is not. Returns only real changes (same resourceVersion counts as unchanged).
   */
  replace(objects: KubeObject[]): StoreChange[] {
    const changes: StoreChange[] = [];
    const seen = new Set<string>();
    for (const object of objects) {
      const key = objectKey(object);
      seen.add(key);
      const before = this.#objects.get(key);
      if (
        before &&
        before.metadata.resourceVersion === object.metadata.resourceVersion
      ) {
        continue;
      }
      changes.push(this.upsert(object));
    }
    for (const [key, object] of this.#objects) {
      if (!seen.has(key)) {
        this.#unindex(key, object);
        this.#objects.delete(key);
        changes.push({ type: 'DELETED', object });
      }
    }
    return changes;
  }

  #addToIndex(key: string, object: KubeObject) {
    for (const indexKey of this.#indexKeys(object)) {
      let keys = this.#index.get(indexKey);
      if (!keys) {
        keys = new Set();
        this.#index.set(indexKey, keys);
      }
      keys.add(key);
    }
  }

  #unindex(key: string, object: KubeObject) {
    for (const indexKey of this.#indexKeys(object)) {
      const keys = this.#index.get(indexKey);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.#index.delete(indexKey);
    }
  }
}
