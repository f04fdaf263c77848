import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterClient,
  isGone,
  KubeApiError,
  WatchEvent,
} from './ClusterClient';
import { ObjectStore, StoreChange } from './ObjectStore';
import { KubeObject, WatchedResource } from './resources';

/** Timing of lists, watches, retries and the silent-watch watchdog. */
export interface WatchTiming {
  /** A watch with no event and no bookmark for this long is restarted. */
  silentWatchTimeoutMs: number;
  /** Watch sessions last between this and twice this (jittered), then reconnect. */
  watchSessionSeconds: number;
  /** First retry delay after a failure; doubles up to `backoffMaxMs`, with jitter. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Items per list page. */
  pageSize: number;
  /** Deadline of a list page or an apply. */
  requestTimeoutMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  silentWatchTimeoutMs: 150_000,
  watchSessionSeconds: 300,
  backoffInitialMs: 500,
  backoffMaxMs: 8_000,
  pageSize: 500,
  requestTimeoutMs: 60_000,
};

/**
 * - `syncing`: not listed yet.
 * - `ok`: listed, and the watch is open.
 * - `degraded`: the last list or watch failed; retrying with backoff. Data (if any) is
 *   the last known.
 */
export type ReflectorState = 'syncing' | 'ok' | 'degraded';

export interface ReflectorHealth {
  resource: string;
  state: ReflectorState;
  /** Whether a full list has ever completed. */
  listed: boolean;
  syncedAt?: number;
  lastEventAt?: number;
  error?: { message: string; at: number };
}

export interface ReflectorCounters {
  lists: number;
  /** Relists forced by 410 Gone (compaction or an expired continue token). */
  relists: number;
  watches: number;
  /** Silent watches the watchdog cut. */
  watchdogRestarts: number;
  failures: number;
}

interface WatchSession {
  controller: AbortController;
  lastActivity: number;
  /** Set by the watchdog: how long the watch had been quiet when it was cut. */
  silent?: number;
}

class SilentWatchError extends Error {
  constructor(ms: number) {
    super(`watch silent for ${Math.round(ms / 1000)} s; restarted`);
  }
}

/** A watch that went silent may have lost events: relist once it flows again. */
class ResyncAfterSilence extends Error {}

/**
 * Keeps one resource type of one cluster in an {@link ObjectStore}: a full (paged) list,
 * then a watch from the list's resourceVersion, resumed from the last seen version when
 * it ends; a fresh list on 410 Gone; jittered exponential backoff on failures; and a
 * watchdog check ({@link Reflector.checkSilence}) for watches that went quiet.
 */
export class Reflector {
  readonly resource: WatchedResource;
  readonly store: ObjectStore;
  readonly counters: ReflectorCounters = {
    lists: 0,
    relists: 0,
    watches: 0,
    watchdogRestarts: 0,
    failures: 0,
  };

  readonly #client: ClusterClient;
  readonly #timing: WatchTiming;
  readonly #logger: LoggerService;
  readonly #onChanges: (changes: StoreChange[]) => void;
  readonly #path: string;

  #state: ReflectorState = 'syncing';
  #listed = false;
  #resourceVersion?: string;
  #syncedAt?: number;
  #lastEventAt?: number;
  #error?: { message: string; at: number };
  #consecutiveFailures = 0;
  #resyncAfterSilence = false;

  #stopped = false;
  /** Cuts requests in flight when the reflector stops. */
  readonly #halt = new AbortController();
  #loop?: Promise<void>;
  #watch?: WatchSession;
  #sleep?: { timer: NodeJS.Timeout; wake(): void };

  constructor(options: {
    resource: WatchedResource;
    client: ClusterClient;
    timing: WatchTiming;
    logger: LoggerService;
    onChanges(changes: StoreChange[]): void;
  }) {
    this.resource = options.resource;
    this.store = new ObjectStore(options.resource.indexKeys);
    this.#client = options.client;
    this.#timing = options.timing;
    this.#logger = options.logger;
    this.#onChanges = options.onChanges;
    this.#path = `${options.resource.basePath}/${options.resource.name}`;
  }

  start() {
    this.#loop ??= this.#run();
  }

  async stop() {
    this.#stopped = true;
    this.#halt.abort();
    this.#watch?.controller.abort();
    this.#sleep?.wake();
    await this.#loop;
  }

  health(): ReflectorHealth {
    return {
      resource: this.resource.name,
      state: this.#state,
      listed: this.#listed,
      syncedAt: this.#syncedAt,
      lastEventAt: this.#lastEventAt,
      error: this.#error,
    };
  }

  /** Cuts the watch if nothing (not even a bookmark) arrived for too long. */
  checkSilence(now: number) {
    const watch = this.#watch;
    if (!watch || watch.silent) return;
    const quiet = now - watch.lastActivity;
    if (quiet >= this.#timing.silentWatchTimeoutMs) {
      watch.silent = quiet;
      this.counters.watchdogRestarts++;
      watch.controller.abort();
    }
  }

  async #run() {
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) await this.#list();
        if (this.#stopped) break;
        await this.#watchOnce();
      } catch (error) {
        if (this.#stopped) break;
        if (error instanceof ResyncAfterSilence) {
          this.counters.relists++;
          this.#resourceVersion = undefined;
          continue;
        }
        if (error instanceof SilentWatchError) this.#resyncAfterSilence = true;
        if (isGone(error)) {
          // Compacted: the only way back is a full list.
          this.counters.relists++;
          this.#resourceVersion = undefined;
          this.#logger.info(
            `${this.resource.name}: resourceVersion expired (410); relisting`,
          );
          continue;
        }
        this.#fail(error as Error);
        await this.#pause(this.#backoffMs());
      }
    }
  }

  async #list() {
    this.counters.lists++;
    const items: KubeObject[] = [];
    let page = await this.#listPage(undefined);
    for (;;) {
      for (const item of page.items) items.push(this.resource.trim(item));
      if (!page.continue || this.#stopped) break;
      page = await this.#listPage(page.continue);
    }
    if (this.#stopped) return;
    const changes = this.store.replace(items);
    this.#resourceVersion = page.resourceVersion;
    this.#resyncAfterSilence = false;
    this.#listed = true;
    this.#syncedAt = Date.now();
    this.#recovered();
    if (changes.length > 0) this.#onChanges(changes);
  }

  #listPage(continueToken: string | undefined) {
    return this.#client.list(
      this.#path,
      {
        limit: this.#timing.pageSize,
        continue: continueToken,
        labelSelector: this.resource.labelSelector,
      },
      this.#halt.signal,
    );
  }

  async #watchOnce() {
    const controller = new AbortController();
    const watch: WatchSession = { controller, lastActivity: Date.now() };
    this.#watch = watch;
    this.counters.watches++;
    const openedAt = Date.now();
    let events = 0;
    const session = this.#timing.watchSessionSeconds;
    try {
      await this.#client.watch(
        this.#path,
        {
          resourceVersion: this.#resourceVersion!,
          timeoutSeconds: Math.round(session * (1 + Math.random())),
          labelSelector: this.resource.labelSelector,
        },
        {
          signal: controller.signal,
          onOpen: () => {
            watch.lastActivity = Date.now();
            if (!this.#resyncAfterSilence) this.#recovered();
          },
          onEvent: event => {
            events++;
            watch.lastActivity = this.#lastEventAt = Date.now();
            this.#apply(event);
          },
        },
      );
    } catch (error) {
      if (watch.silent !== undefined) throw new SilentWatchError(watch.silent);
      throw error;
    } finally {
      this.#watch = undefined;
    }
    if (watch.silent !== undefined) throw new SilentWatchError(watch.silent);
    if (!this.#stopped && events === 0 && Date.now() - openedAt < 1000) {
      throw new Error('watch closed by the server right after it opened');
    }
  }

  #apply(event: WatchEvent) {
    if (this.#resyncAfterSilence) throw new ResyncAfterSilence();
    const object = event.object;
    if (event.type === 'ERROR') {
      throw new KubeApiError(
        object.code ?? 500,
        `watch ${this.#path}: ${object.message ?? 'error event'}`,
        object.reason,
      );
    }
    const version = object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (version) this.#resourceVersion = version;
      return;
    }
    const change =
      event.type === 'DELETED'
        ? this.store.remove(object)
        : this.store.upsert(this.resource.trim(object));
    if (version) this.#resourceVersion = version;
    if (change) this.#onChanges([change]);
  }

  #recovered() {
    if (this.#state !== 'ok' && this.#error) {
      this.#logger.info(`${this.resource.name}: watch is live again`);
    }
    this.#state = 'ok';
    this.#error = undefined;
    this.#consecutiveFailures = 0;
  }

  #fail(error: Error) {
    this.counters.failures++;
    this.#consecutiveFailures++;
    this.#state = this.#listed ? 'degraded' : 'syncing';
    this.#error = { message: error.message, at: Date.now() };
    if (this.#consecutiveFailures === 1) {
      this.#logger.warn(`${this.resource.name}: ${error.message}; retrying`);
    }
  }

  /** Equal jitter: half the exponential delay, plus a random part of the other half. */
  #backoffMs() {
    const { backoffInitialMs, backoffMaxMs } = this.#timing;
    const base = Math.min(
      backoffMaxMs,
      backoffInitialMs * 2 ** Math.max(0, this.#consecutiveFailures - 1),
    );
    return base / 2 + Math.random() * (base / 2);
  }

  #pause(ms: number) {
    return new Promise<void>(resolve => {
      const sleep = {
        timer: setTimeout(() => sleep.wake(), ms),
        wake: () => {
          clearTimeout(sleep.timer);
          this.#sleep = undefined;
          resolve();
        },
      };
      this.#sleep = sleep;
    });
  }
}
