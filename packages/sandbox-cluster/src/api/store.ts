import { errors } from './errors';
import { ResourceType, resourceKey } from './resources';
import { KubeObject, WatchEventType } from './types';

/** One change, as watchers and controllers see it. */
export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  previous?: KubeObject;
}

/** A subscription of one watch request. */
export interface WatchSink {
  resource: ResourceType;
  namespace?: string;
  matches(obj: KubeObject): boolean;
  send(type: WatchEventType, obj: KubeObject): void;
}

export function objectKey(namespace: string | undefined, name: string) {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The sandbox's etcd: objects by resource, a cluster-wide monotonic resourceVersion, and
 * a bounded log of recent changes from which watches resume. A watch from a version
 * older than the log's start fails with 410 Gone, as on a real server once etcd has
 * compacted.
 */
export class ObjectStore {
  private rv = 0;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private log: StoreEvent[] = [];
  private compactedRv = 0;
  private readonly sinks = new Map<string, Set<WatchSink>>();
  private readonly listeners: ((event: StoreEvent) => void)[] = [];
  /** Dependents by owner uid, for garbage collection. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(private readonly logCapacity = 20000) {}

  currentRv() {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may still resume from. */
  oldestWatchableRv() {
    return this.compactedRv;
  }

  private table(type: ResourceType) {
    const key = resourceKey(type);
    let table = this.tables.get(key);
    if (!table) {
      table = new Map();
      this.tables.set(key, table);
    }
    return table;
  }

  get(type: ResourceType, namespace: string | undefined, name: string) {
    return this.table(type).get(objectKey(namespace, name));
  }

  /** Objects of a type (in one namespace, or all), in key order like etcd. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const table = this.table(type);
    const keys = [...table.keys()];
    const prefix = namespace ? `${namespace}/` : undefined;
    const selected = prefix ? keys.filter(k => k.startsWith(prefix)) : keys;
    selected.sort();
    return selected.map(k => table.get(k)!);
  }

  /** Number of stored objects of a type. */
  count(type: ResourceType) {
    return this.table(type).size;
  }

  /** Stored objects owned by the given uid: `[resourceKey, objectKey]` pairs. */
  dependentsOf(uid: string): { resource: string; key: string }[] {
    return [...(this.dependents.get(uid) ?? [])].map(entry => {
      const [resource, key] = entry.split('|');
      return { resource, key };
    });
  }

  getByKey(resource: string, key: string) {
    return this.tables.get(resource)?.get(key);
  }

  /** Stores an object, assigning the next resourceVersion, and publishes the change. */
  put(type: ResourceType, obj: KubeObject): KubeObject {
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const table = this.table(type);
    const previous = table.get(key);
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    table.set(key, obj);
    this.index(type, key, previous, obj);
    this.publish({
      rv: this.rv,
      type: previous ? 'MODIFIED' : 'ADDED',
      resource: type,
      object: obj,
      previous,
    });
    return obj;
  }

  /** Removes an object for good and publishes DELETED. */
  remove(type: ResourceType, namespace: string | undefined, name: string) {
    const key = objectKey(namespace, name);
    const table = this.table(type);
    const previous = table.get(key);
    if (!previous) return undefined;
    table.delete(key);
    this.index(type, key, previous, undefined);
    this.rv++;
    const object = {
      ...previous,
      metadata: { ...previous.metadata, resourceVersion: String(this.rv) },
    };
    this.publish({
      rv: this.rv,
      type: 'DELETED',
      resource: type,
      object,
      previous,
    });
    return object;
  }

  private index(
    type: ResourceType,
    key: string,
    previous: KubeObject | undefined,
    next: KubeObject | undefined,
  ) {
    const entry = `${resourceKey(type)}|${key}`;
    for (const ref of previous?.metadata.ownerReferences ?? []) {
      const set = this.dependents.get(ref.uid);
      set?.delete(entry);
      if (set?.size === 0) this.dependents.delete(ref.uid);
    }
    for (const ref of next?.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(ref.uid, set);
      }
      set.add(entry);
    }
  }

  /** Controllers hear every change, synchronously, after watchers. */
  onChange(listener: (event: StoreEvent) => void) {
    this.listeners.push(listener);
  }

  private publish(event: StoreEvent) {
    this.log.push(event);
    if (this.log.length > this.logCapacity * 1.25) {
      const drop = this.log.length - this.logCapacity;
      this.compactedRv = this.log[drop - 1].rv;
      this.log = this.log.slice(drop);
    }
    const sinks = this.sinks.get(resourceKey(event.resource));
    if (sinks) {
      for (const sink of sinks) deliver(sink, event);
    }
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Forgets the change log up to now: every watch or continue token from an earlier
   * resourceVersion now gets 410 Gone (what etcd compaction does).
   */
  compact() {
    // The version moves on, so a client that relists gets a version it can watch from.
    this.rv++;
    this.compactedRv = this.rv;
    this.log = [];
  }

  /**
   * Starts a watch. Without a resourceVersion (or "0") the current objects arrive first
   * as ADDED; with one, the changes after it are replayed from the log, or 410 Gone is
   * thrown when the log no longer reaches back that far.
   */
  watch(sink: WatchSink, fromRv: string | undefined): () => void {
    const key = resourceKey(sink.resource);
    if (fromRv === undefined || fromRv === '' || fromRv === '0') {
      for (const obj of this.list(sink.resource, sink.namespace)) {
        if (sink.matches(obj)) sink.send('ADDED', obj);
      }
    } else {
      const from = Number(fromRv);
      if (!Number.isInteger(from) || from < 0) {
        throw errors.badRequest(`invalid resource version "${fromRv}"`);
      }
      if (from < this.compactedRv) {
        throw errors.gone(
          `too old resource version: ${from} (${this.compactedRv + 1})`,
        );
      }
      for (const event of this.log) {
        if (event.rv > from && resourceKey(event.resource) === key)
          deliver(sink, event);
      }
    }
    let set = this.sinks.get(key);
    if (!set) {
      set = new Set();
      this.sinks.set(key, set);
    }
    set.add(sink);
    return () => {
      set!.delete(sink);
    };
  }
}

/**
 * Delivers one change to a watch, translating selector transitions the way the real
 * server does: an object that stops matching arrives as DELETED, one that starts
 * matching as ADDED.
 */
function deliver(sink: WatchSink, event: StoreEvent) {
  const ns = event.object.metadata.namespace;
  if (sink.namespace && ns !== sink.namespace) return;
  const now = event.type !== 'DELETED' && sink.matches(event.object);
  const before = event.previous !== undefined && sink.matches(event.previous);
  if (event.type === 'ADDED') {
    if (now) sink.send('ADDED', event.object);
  } else if (event.type === 'DELETED') {
    if (before) sink.send('DELETED', event.object);
  } else if (now && before) {
    sink.send('MODIFIED', event.object);
  } else if (now) {
    sink.send('ADDED', event.object);
  } else if (before) {
    sink.send('DELETED', event.object);
  }
}
