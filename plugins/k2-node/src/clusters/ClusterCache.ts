import { LoggerService } from '@backstage/backend-plugin-api';
import { K2ClusterHealth } from '@internal/plugin-k2-common';
import { ClusterClient } from './ClusterClient';
import { ObjectStore, StoreChange } from './ObjectStore';
import { Reflector, ReflectorCounters, WatchTiming } from './Reflector';
import {
  KubeObject,
  WATCHED_RESOURCES,
  WatchedResource,
  WatchedResourceName,
} from './resources';

/** A change in one cluster's cache. */
export interface ClusterChange extends StoreChange {
  cluster: string;
  resource: WatchedResourceName;
}

/**
 * The watch cache of one cluster: a {@link Reflector} per watched resource type, a
 * watchdog for silent watches, and the cluster's health derived from its reflectors.
 * When a consistency check of one resource type finds events lost, every type is
 * repaired: its watch shares the connection that lost them.
 */
export class ClusterCache {
  readonly name: string;
  readonly client: ClusterClient;
  readonly #reflectors = new Map<WatchedResourceName, Reflector>();
  readonly #listeners = new Set<(change: ClusterChange) => void>();
  readonly #timing: WatchTiming;
  #watchdog?: NodeJS.Timeout;

  constructor(options: {
    name: string;
    client: ClusterClient;
    timing: WatchTiming;
    logger: LoggerService;
    resources?: readonly WatchedResource[];
  }) {
    this.name = options.name;
    this.client = options.client;
    this.#timing = options.timing;
    for (const resource of options.resources ?? WATCHED_RESOURCES) {
      this.#reflectors.set(
        resource.name,
        new Reflector({
          resource,
          client: options.client,
          timing: options.timing,
          logger: options.logger.child({ cluster: options.name }),
          onChanges: changes => this.#emit(resource.name, changes),
          onLoss: message => this.#repair(message),
        }),
      );
    }
  }

  start() {
    for (const reflector of this.#reflectors.values()) reflector.start();
    const every = Math.max(
      50,
      Math.min(5_000, this.#timing.silentWatchTimeoutMs / 4),
    );
    this.#watchdog = setInterval(() => {
      const now = Date.now();
      for (const reflector of this.#reflectors.values()) {
        reflector.checkSilence(now);
      }
    }, every);
    this.#watchdog.unref();
  }

  async stop() {
    if (this.#watchdog) clearInterval(this.#watchdog);
    await Promise.all([...this.#reflectors.values()].map(r => r.stop()));
  }

  /** The store of one resource type. */
  store(resource: WatchedResourceName): ObjectStore {
    const reflector = this.#reflectors.get(resource);
    if (!reflector) throw new Error(`resource '${resource}' is not watched`);
    return reflector.store;
  }

  /** Objects of a resource type labelled with the service's id. */
  byService(resource: WatchedResourceName, serviceId: string): KubeObject[] {
    return this.store(resource).byIndex(serviceId);
  }

  /** Events about one object, through the events index. */
  eventsFor(kind: string, namespace: string, name: string): KubeObject[] {
    return this.store('events').byIndex(`${kind}/${namespace}/${name}`);
  }

  /** Listen to every change; returns a function that stops listening. */
  subscribe(listener: (change: ClusterChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  counters(): Record<string, ReflectorCounters> {
    return Object.fromEntries(
      [...this.#reflectors].map(([name, r]) => [name, { ...r.counters }]),
    );
  }

  health(): K2ClusterHealth {
    const all = [...this.#reflectors.values()].map(r => r.health());
    const listed = all.every(h => h.listed);
    const live = all.every(h => h.state === 'ok');
    const failing = all.filter(h => h.error);
    let status: K2ClusterHealth['status'];
    if (live) status = 'ok';
    else if (!listed && failing.length === 0) status = 'syncing';
    else status = 'degraded';
    const newest = failing.sort((a, b) => b.error!.at - a.error!.at)[0];
    const syncedAt = listed
      ? Math.min(...all.map(h => h.syncedAt ?? 0))
      : undefined;
    const lastEventAt = Math.max(0, ...all.map(h => h.lastEventAt ?? 0));
    return {
      cluster: this.name,
      status,
      stale: status !== 'ok',
      syncedAt: syncedAt ? new Date(syncedAt).toISOString() : undefined,
      lastEventAt: lastEventAt
        ? new Date(lastEventAt).toISOString()
        : undefined,
      error: newest
        ? {
            resource: newest.resource,
            message: newest.error!.message,
            at: new Date(newest.error!.at).toISOString(),
          }
        : undefined,
      pendingResources: all.filter(h => h.state !== 'ok').map(h => h.resource),
      objects: Object.fromEntries(
        [...this.#reflectors].map(([name, r]) => [name, r.store.size]),
      ),
    };
  }

  /** Resolves once every resource type has been listed, or rejects after `timeoutMs`. */
  async waitForSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.health().status !== 'ok') {
      if (Date.now() > deadline) {
        const health = this.health();
        throw new Error(
          `cluster '${this.name}' did not sync in ${timeoutMs} ms: ${
            health.error?.message ?? `waiting for ${health.pendingResources}`
          }`,
        );
      }
      await new Promise(r => setTimeout(r, 20));
    }
  }

  #repair(message: string) {
    for (const reflector of this.#reflectors.values())
      reflector.repair(message);
  }

  #emit(resource: WatchedResourceName, changes: StoreChange[]) {
    if (this.#listeners.size === 0) return;
    for (const change of changes) {
      const event = { ...change, cluster: this.name, resource };
      for (const listener of this.#listeners) {
        try {
          listener(event);
        } catch {
          // A listener's failure must not break the watch.
        }
      }
    }
  }
}
