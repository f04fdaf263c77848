import { FOREGROUND_FINALIZER, Registry } from '../api/registry';
import { RESOURCE_TYPES, resourceKey } from '../api/resources';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import { WorkQueue } from './runtime';

/**
 * The garbage collector and the namespace controller: dependents of a deleted owner
 * are deleted (Background), an owner deleted in the Foreground waits for them, and a
 * terminating namespace is emptied before it goes.
 */
export class GarbageCollector {
  private readonly queue: WorkQueue;
  private readonly namespaces;
  /** Owners deleted, by uid, whose dependents still need deleting. */
  private readonly orphanedBy = new Map<string, KubeObject>();

  constructor(private readonly registry: Registry) {
    this.namespaces = registry.typeOf('', 'namespaces');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    const obj = event.object;
    if (event.type === 'DELETED') {
      if (this.registry.store.dependentsOf(obj.metadata.uid!).length > 0) {
        this.orphanedBy.set(obj.metadata.uid!, obj);
        this.queue.add(`owner|${obj.metadata.uid}`);
      }
      for (const ref of obj.metadata.ownerReferences ?? [])
        this.queue.add(`foreground|${ref.uid}`);
      if (obj.metadata.namespace)
        this.queue.add(`namespace|${obj.metadata.namespace}`);
      return;
    }
    if (obj.metadata.deletionTimestamp) {
      if (obj.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) {
        this.queue.add(`foreground|${obj.metadata.uid}`);
        this.foreground.set(obj.metadata.uid!, {
          type: resourceKey(event.resource),
          obj,
        });
      }
      if (event.resource === this.namespaces)
        this.queue.add(`namespace|${obj.metadata.name}`);
    }
  }

  private readonly foreground = new Map<
    string,
    { type: string; obj: KubeObject }
  >();

  private deleteDependents(
    uid: string,
    policy: 'Background' | 'Foreground' = 'Background',
  ) {
    for (const dep of this.registry.store.dependentsOf(uid)) {
      const type = RESOURCE_TYPES.find(t => resourceKey(t) === dep.resource)!;
      const obj = this.registry.store.getByKey(dep.resource, dep.key);
      if (!obj || obj.metadata.deletionTimestamp) continue;
      const remaining = (obj.metadata.ownerReferences ?? []).filter(
        r => r.uid !== uid && this.ownerExists(r.uid),
      );
      if (remaining.length > 0) continue;
      try {
        this.registry.delete(type, obj.metadata.namespace, obj.metadata.name, {
          propagationPolicy: policy,
        });
      } catch {
        // Already gone.
      }
    }
  }

  private ownerExists(uid: string) {
    return !this.orphanedBy.has(uid);
  }

  private sync(key: string) {
    const [kind, id] = key.split('|');
    if (kind === 'owner') {
      this.deleteDependents(id);
      this.orphanedBy.delete(id);
      return;
    }
    if (kind === 'foreground') {
      const entry = this.foreground.get(id);
      if (!entry) return;
      const type = RESOURCE_TYPES.find(t => resourceKey(t) === entry.type)!;
      const live = this.registry.find(
        type,
        entry.obj.metadata.namespace,
        entry.obj.metadata.name,
      );
      if (!live || live.metadata.uid !== id) {
        this.foreground.delete(id);
        return;
      }
      const dependents = this.registry.store.dependentsOf(id);
      if (dependents.length > 0) {
        // Dependents of a Foreground deletion are deleted in the Foreground too, so
        // the owner waits for the whole tree.
        this.deleteDependents(id, 'Foreground');
        return;
      }
      this.foreground.delete(id);
      this.registry.mutate(
        type,
        live.metadata.namespace,
        live.metadata.name,
        o => {
          o.metadata.finalizers = (o.metadata.finalizers ?? []).filter(
            f => f !== FOREGROUND_FINALIZER,
          );
          if (o.metadata.finalizers.length === 0) delete o.metadata.finalizers;
        },
      );
      const after = this.registry.find(
        type,
        live.metadata.namespace,
        live.metadata.name,
      );
      if (
        after &&
        after.metadata.deletionTimestamp &&
        !after.metadata.finalizers?.length
      ) {
        this.registry.store.remove(
          type,
          live.metadata.namespace,
          live.metadata.name,
        );
      }
      return;
    }
    if (kind === 'namespace') {
      const ns = this.registry.find(this.namespaces, undefined, id);
      if (!ns?.metadata.deletionTimestamp) return;
      for (const type of RESOURCE_TYPES) {
        if (!type.namespaced || type.group === 'metrics.k8s.io') continue;
        for (const obj of this.registry.store.list(type, id)) {
          if (obj.metadata.deletionTimestamp) continue;
          try {
            this.registry.delete(type, id, obj.metadata.name);
          } catch {
            // Already gone.
          }
        }
      }
      const left = RESOURCE_TYPES.some(
        t =>
          t.namespaced &&
          t.group !== 'metrics.k8s.io' &&
          this.registry.store.list(t, id).length > 0,
      );
      if (!left) this.registry.store.remove(this.namespaces, undefined, id);
    }
  }
}
