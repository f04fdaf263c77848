import { nowTimestamp } from '../api/defaults';
import { Registry } from '../api/registry';
import { ResourceType } from '../api/resources';
import { KubeObject, OwnerReference } from '../api/types';

/**
 * Coalesces keys and processes them once per turn of the event loop, the way
 * controller work queues coalesce repeated notifications for the same object.
 */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;

  constructor(private readonly handler: (key: string) => void) {}

  add(key: string) {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain() {
    this.scheduled = false;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        this.handler(key);
      } catch (error) {
        // A controller error must not stop the others; the next change retries.
        process.stderr.write(
          `sandbox controller error for ${key}: ${String(
            (error as Error)?.stack ?? error,
          )}\n`,
        );
      }
    }
  }

  stop() {
    this.stopped = true;
    this.pending.clear();
  }
}

/** Timers that all stop with the cluster. */
export class Timers {
  private readonly handles = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void) {
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      try {
        fn();
      } catch (error) {
        process.stderr.write(
          `sandbox timer error: ${String((error as Error)?.stack ?? error)}\n`,
        );
      }
    }, Math.max(0, ms));
    handle.unref?.();
    this.handles.add(handle);
    return handle;
  }

  private readonly keyed = new Map<string, NodeJS.Timeout>();

  /** One pending timer per key: a later call replaces the earlier one. */
  once(key: string, ms: number, fn: () => void) {
    const existing = this.keyed.get(key);
    if (existing) {
      clearTimeout(existing);
      this.handles.delete(existing);
    }
    const handle = this.after(ms, () => {
      this.keyed.delete(key);
      fn();
    });
    this.keyed.set(key, handle);
  }

  cancel(key: string) {
    const existing = this.keyed.get(key);
    if (existing) {
      clearTimeout(existing);
      this.handles.delete(existing);
      this.keyed.delete(key);
    }
  }

  every(ms: number, fn: () => void) {
    const handle = setInterval(fn, ms);
    handle.unref?.();
    this.handles.add(handle);
    return handle;
  }

  stop() {
    for (const handle of this.handles) {
      clearTimeout(handle);
      clearInterval(handle);
    }
    this.handles.clear();
    this.keyed.clear();
  }
}

export function nsKey(namespace: string | undefined, name: string) {
  return `${namespace ?? ''}/${name}`;
}

export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  const ns = key.slice(0, i);
  return [ns || undefined, key.slice(i + 1)];
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find(r => r.controller);
}

export function ownerRef(
  owner: KubeObject,
  blockOwnerDeletion = true,
): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion,
  };
}

export function isPodReady(pod: KubeObject) {
  return (pod.status?.conditions ?? []).some(
    (c: any) => c.type === 'Ready' && c.status === 'True',
  );
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(
  pod: KubeObject,
  minReadySeconds: number,
  now = Date.now(),
) {
  if (!isPodReady(pod) || pod.metadata.deletionTimestamp) return false;
  if (!minReadySeconds) return true;
  const ready = (pod.status?.conditions ?? []).find(
    (c: any) => c.type === 'Ready',
  );
  return (
    now - Date.parse(ready?.lastTransitionTime ?? '') >= minReadySeconds * 1000
  );
}

export function isPodActive(pod: KubeObject) {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase !== 'Succeeded' &&
    pod.status?.phase !== 'Failed'
  );
}

/** Sets a condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(
  status: any,
  condition: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
  },
  extra: Record<string, string> = {},
) {
  const now = nowTimestamp();
  const conditions: any[] = status.conditions ?? [];
  const existing = conditions.find(c => c.type === condition.type);
  if (existing) {
    if (existing.status !== condition.status) existing.lastTransitionTime = now;
    Object.assign(existing, condition, extra);
    if (
      'lastUpdateTime' in extra &&
      existing.reason === condition.reason &&
      existing.status === condition.status
    ) {
      // lastUpdateTime moves with every update of the condition.
    }
  } else {
    conditions.push({ ...condition, ...extra, lastTransitionTime: now });
  }
  status.conditions = conditions;
}

/**
 * Records Events the way components do (kubelet, controllers, scheduler): repeated
 * events for the same object, reason and message increase `count` instead of piling up.
 * Old events are dropped beyond `limit`, like the API server's event TTL.
 */
export class EventRecorder {
  private readonly recent = new Map<
    string,
    { namespace: string; name: string }
  >();
  private sequence = 0;

  constructor(
    private readonly registry: Registry,
    private readonly eventType: ResourceType,
    private readonly limit = 20000,
  ) {}

  record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    host?: string,
    fieldPath?: string,
  ) {
    const namespace = involved.metadata.namespace ?? 'default';
    const key = `${involved.metadata.uid}|${reason}|${message}`;
    const now = nowTimestamp();
    const seen = this.recent.get(key);
    if (seen) {
      const updated = this.registry.mutate(
        this.eventType,
        seen.namespace,
        seen.name,
        e => {
          e.count = (e.count ?? 1) + 1;
          e.lastTimestamp = now;
        },
      );
      if (updated) {
        this.recent.delete(key);
        this.recent.set(key, seen);
        return;
      }
    }
    // Like the real recorder: the object's name and a unique hexadecimal suffix.
    this.sequence++;
    const name = `${involved.metadata.name}.${(
      Date.now() * 4096 +
      (this.sequence % 4096)
    ).toString(16)}`;
    if (
      !this.registry.find(
        this.registry.typeOf('', 'namespaces'),
        undefined,
        namespace,
      )
    )
      return;
    try {
      this.registry.create(this.eventType, namespace, {
        metadata: { name, namespace },
        involvedObject: {
          kind: involved.kind,
          namespace: involved.metadata.namespace,
          name: involved.metadata.name,
          uid: involved.metadata.uid,
          apiVersion: involved.apiVersion,
          resourceVersion: involved.metadata.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        source: { component, ...(host ? { host } : {}) },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: host ?? '',
      });
    } catch {
      // Events are best effort, as with a real recorder: a terminating namespace
      // refuses them, and that must not stop the component recording them.
      return;
    }
    this.recent.set(key, { namespace, name });
    if (this.recent.size > this.limit) {
      const [oldestKey, oldest] = this.recent.entries().next().value!;
      this.recent.delete(oldestKey);
      this.registry.store.remove(this.eventType, oldest.namespace, oldest.name);
    }
  }
}
