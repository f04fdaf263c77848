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
  /**
   * Mean time between two consistency checks of one resource type (each waits between
   * 0.75 and 1.25 times this); see {@link Reflector}.
   */
  consistencyCheckIntervalMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  silentWatchTimeoutMs: 150_000,
  watchSessionSeconds: 300,
  backoffInitialMs: 500,
  backoffMaxMs: 8_000,
  pageSize: 500,
  requestTimeoutMs: 60_000,
  consistencyCheckIntervalMs: 15_000,
};

/** The User-Agent of consistency checks, so an API server's audit log can tell them apart. */
export const CONSISTENCY_CHECK_USER_AGENT = 'k2-watch-cache/consistency-check';

/**
 * - `syncing`: not listed yet.
 * - `ok`: listed, the watch is open, and no consistency check has put the cache in
 *   doubt.
 * - `degraded`: the last list or watch failed (retrying with backoff), or a consistency
 *   check found events lost (relisting, then waiting for the watch to deliver again),
 *   or two checks in a row could not read the server. Data (if any) is the last known.
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
  /** Consistency checks run: one `LIST ?limit=1` each. */
  checks: number;
  /** Checks whose LIST failed. */
  failedChecks: number;
  /** Checks of this resource type that found events lost. */
  lossesFound: number;
  /** Relists ordered because a check of this cluster found events lost. */
  repairs: number;
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

/** What a consistency check read: the server's object count at a resourceVersion. */
interface CheckReading {
  resourceVersion: bigint;
  count: number;
  /** The list generation it belongs to; a relist makes it moot. */
  generation: number;
  /** The watch stream open when it was read. */
  session?: WatchSession;
  /** Where the cache stood when it was read (the last resourceVersion delivered). */
  cachedAt: bigint;
}

/**
 * A resourceVersion as a number, or undefined when it is not one. etcd-backed API
 * servers issue decimal integers in commit order; the consistency check relies on it.
 */
function revision(value: string | undefined): bigint | undefined {
  return value && /^[0-9]+$/.test(value) ? BigInt(value) : undefined;
}

/**
 * Keeps one resource type of one cluster in an {@link ObjectStore}: a full (paged) list,
 * then a watch from the list's resourceVersion, resumed from the last seen version when
 * it ends; a fresh list on 410 Gone; jittered exponential backoff on failures; a
 * watchdog check ({@link Reflector.checkSilence}) for watches that went quiet; and a
 * periodic consistency check that bounds how long lost events go unnoticed.
 *
 * The consistency check. A watch can lose events and stay open: it stalls, then
 * delivers later events and bookmarks that carry its resourceVersion past what it never
 * sent, so neither the watchdog nor a resourceVersion comparison notices. Every
 * `consistencyCheckIntervalMs` (jittered) the reflector reads `LIST ?limit=1`: the
 * server's resourceVersion R and, from `remainingItemCount`, how many objects of this
 * type exist at R (N). The cache holds exactly the server's state at R at one moment:
 * once the watch has delivered everything up to R and nothing after it. That moment is
 * caught race-free:
 * - the cache is already at R: compare now;
 * - the watch delivers its first event after R (or a bookmark at or after R): compare
 *   just before applying it;
 * - neither by the next check, on the same open stream: it delivered nothing after R,
 *   so a live stream has delivered everything up to R; compare then.
 * A cache that does not hold N objects at that moment lost events. Lost events come
 * from a stalled connection, which the other watches of the cluster share, so the
 * whole cluster cache is repaired ({@link Reflector.repair}): every resource type is
 * relisted now and once more when its watch delivers again (the first relist may run
 * while the connection still stalls), and the cluster is `degraded` until then.
 *
 * So lost additions or deletions are noticed at most about two intervals after they
 * happen, even while the watch stays silent, and `ok` is not reported again before the
 * relist that follows the watch's recovery. A loss of changes alone (no object added or
 * deleted in any watched type of the cluster meanwhile) is not seen by the count; in a
 * running cluster events and pods come and go constantly, so a stall long enough to
 * matter shows in some count. Types listed with a label selector are not counted (the
 * server does not count filtered lists) unless they fit in one object; they are
 * repaired with their cluster.
 *
 * Cost: one `LIST ?limit=1` per resource type per interval, under the User-Agent
 * {@link CONSISTENCY_CHECK_USER_AGENT}; the server reads one object and a count, for a
 * cache of 5 objects as for one of 50,000. Relists only when a check finds a loss.
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
    checks: 0,
    failedChecks: 0,
    lossesFound: 0,
    repairs: 0,
  };

  readonly #client: ClusterClient;
  readonly #timing: WatchTiming;
  readonly #logger: LoggerService;
  readonly #onChanges: (changes: StoreChange[]) => void;
  readonly #onLoss: (message: string) => void;
  readonly #path: string;

  #state: ReflectorState = 'syncing';
  #listed = false;
  #resourceVersion?: string;
  #syncedAt?: number;
  #lastEventAt?: number;
  #error?: { message: string; at: number };
  #consecutiveFailures = 0;
  #resyncAfterSilence = false;

  /** The last check's reading, until the cache is compared with it. */
  #reading?: CheckReading;
  /** Bumped by every completed list: a reading from before it is moot. */
  #generation = 0;
  #listing = false;
  /**
   * A repair in progress: `relist` before watching again, then `confirm` (relist once
   * more when the watch delivers anything).
   */
  #repair?: 'relist' | 'confirm';
  /** Why the cache is in doubt, while it is: reported as `degraded`. */
  #doubt?: { message: string; at: number };
  #failedChecksInARow = 0;
  #checkTimer?: NodeJS.Timeout;

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
    /** A check of this reflector found events lost; the cluster decides the repair. */
    onLoss?(message: string): void;
  }) {
    this.resource = options.resource;
    this.store = new ObjectStore(options.resource.indexKeys);
    this.#client = options.client;
    this.#timing = options.timing;
    this.#logger = options.logger;
    this.#onChanges = options.onChanges;
    this.#onLoss = options.onLoss ?? (message => this.repair(message));
    this.#path = `${options.resource.basePath}/${options.resource.name}`;
  }

  start() {
    if (this.#loop) return;
    this.#loop = this.#run();
    this.#scheduleCheck();
  }

  async stop() {
    this.#stopped = true;
    clearTimeout(this.#checkTimer);
    this.#halt.abort();
    this.#watch?.controller.abort();
    this.#sleep?.wake();
    await this.#loop;
  }

  health(): ReflectorHealth {
    const doubt = this.#state === 'ok' ? this.#doubt : undefined;
    return {
      resource: this.resource.name,
      state: doubt ? 'degraded' : this.#state,
      listed: this.#listed,
      syncedAt: this.#syncedAt,
      lastEventAt: this.#lastEventAt,
      error: this.#error ?? doubt,
    };
  }

  /**
   * Puts the cache in doubt and relists it now, and once more when its watch delivers
   * anything again; `degraded` until that second list. Called for every resource type
   * of a cluster when a check of one of them found events lost.
   */
  repair(message: string) {
    if (this.#stopped) return;
    this.counters.repairs++;
    this.#doubt = { message, at: Date.now() };
    this.#reading = undefined;
    this.#repair = 'relist';
    this.#watch?.controller.abort();
    this.#sleep?.wake();
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
      let watching = false;
      try {
        if (this.#repair === 'relist') this.#resourceVersion = undefined;
        if (this.#resourceVersion === undefined) await this.#list();
        if (this.#stopped) break;
        watching = true;
        await this.#watchOnce();
      } catch (error) {
        if (this.#stopped) break;
        if (this.#repair === 'relist' && watching) {
          // A repair cut the watch: relist now, without backoff (a failed list
          // backs off below like any other).
          this.counters.relists++;
          this.#resourceVersion = undefined;
          continue;
        }
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
    const repairing = this.#repair;
    this.#listing = true;
    let page;
    try {
      page = await this.#listPage(undefined);
      for (;;) {
        for (const item of page.items) items.push(this.resource.trim(item));
        if (!page.continue || this.#stopped) break;
        page = await this.#listPage(page.continue);
      }
    } finally {
      this.#listing = false;
    }
    if (this.#stopped) return;
    const changes = this.store.replace(items);
    this.#resourceVersion = page.resourceVersion;
    this.#resyncAfterSilence = false;
    this.#listed = true;
    this.#syncedAt = Date.now();
    this.#generation++;
    this.#reading = undefined;
    if (repairing === 'relist' || this.#repair === 'relist') {
      // The connection may still be stalling: confirm once the watch delivers again.
      this.#repair = 'confirm';
      this.#doubt = {
        message: `${
          this.#doubt?.message ?? 'events lost'
        }; relisted, relisting again once the watch delivers`,
        at: Date.now(),
      };
    } else {
      this.#repair = undefined;
      this.#doubt = undefined;
    }
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
    if (this.#resyncAfterSilence || this.#repair === 'confirm') {
      throw new ResyncAfterSilence();
    }
    const object = event.object;
    if (event.type === 'ERROR') {
      throw new KubeApiError(
        object.code ?? 500,
        `watch ${this.#path}: ${object.message ?? 'error event'}`,
        object.reason,
      );
    }
    const version = object.metadata?.resourceVersion;
    const reading = this.#reading;
    if (reading) {
      const at = revision(version);
      if (
        at !== undefined &&
        (event.type === 'BOOKMARK'
          ? at >= reading.resourceVersion
          : at > reading.resourceVersion)
      ) {
        // Everything up to the reading is in, nothing after it yet.
        if (!this.#compare(reading)) return;
      }
    }
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

  #scheduleCheck(delayMs = this.#checkDelayMs()) {
    if (this.#stopped) return;
    this.#checkTimer = setTimeout(() => {
      this.#check().then(
        next => this.#scheduleCheck(next),
        () => this.#scheduleCheck(),
      );
    }, delayMs);
    this.#checkTimer.unref?.();
  }

  /** Between 0.75 and 1.25 times the interval, so the checks of many caches spread. */
  #checkDelayMs() {
    return this.#timing.consistencyCheckIntervalMs * (0.75 + Math.random() / 2);
  }

  /** One consistency check (see the class comment); resolves to the delay to the next. */
  async #check(): Promise<number> {
    if (this.#stopped) return 0;
    const previous = this.#reading;
    this.#reading = undefined;
    if (previous?.session && previous.session === this.#watch) {
      const cachedAt = revision(this.#resourceVersion);
      if (cachedAt !== undefined && cachedAt !== previous.cachedAt) {
        // The stream delivers, but has not reached the reading yet: it lags (a busy
        // API server), which loses nothing. Its first event past the reading
        // compares; judging now would relist a whole cluster for a lag, and relists
        // make a busy server slower still.
        this.#reading = { ...previous, cachedAt };
        return this.#checkDelayMs();
      }
      // The same stream stayed open for a whole interval, delivered nothing in it,
      // and the reading lies ahead of it: the events in between are lost (a stalled
      // stream that came back), so the cache must match the reading now.
      // (A stream that broke meanwhile resumes in order; its next event after the
      // reading compares instead.)
      if (!this.#compare(previous)) return this.#checkDelayMs();
    }
    if (!this.#listed || this.#listing || this.#repair === 'relist') {
      return this.#checkDelayMs();
    }
    const generation = this.#generation;
    this.counters.checks++;
    let page;
    try {
      page = await this.#client.list(
        this.#path,
        { limit: 1, labelSelector: this.resource.labelSelector },
        this.#halt.signal,
        CONSISTENCY_CHECK_USER_AGENT,
      );
    } catch (error) {
      if (this.#stopped) return 0;
      return this.#checkFailed(error as Error);
    }
    this.#failedChecksInARow = 0;
    if (generation !== this.#generation || this.#listing || this.#repair) {
      return this.#checkDelayMs();
    }
    let count: number | undefined;
    if (!page.continue) count = page.items.length;
    else if (page.remainingItemCount !== undefined) {
      count = page.items.length + page.remainingItemCount;
    }
    const listedAt = revision(page.resourceVersion);
    const watched = revision(this.#resourceVersion);
    if (
      count === undefined ||
      listedAt === undefined ||
      watched === undefined
    ) {
      // A filtered list the server does not count: repaired with its cluster.
      return this.#checkDelayMs();
    }
    const reading = {
      resourceVersion: listedAt,
      count,
      generation,
      session: this.#watch,
      cachedAt: watched,
    };
    // Past the reading already: changes after it are in the cache; wait for the next.
    if (watched === listedAt) this.#compare(reading);
    else if (watched < listedAt) this.#reading = reading;
    // In doubt after failed checks: judge this reading soon, not an interval later.
    return this.#doubt && !this.#repair
      ? Math.min(this.#checkDelayMs(), this.#timing.backoffMaxMs)
      : this.#checkDelayMs();
  }

  /**
   * Compares the cache, at the moment it holds the server's state at the reading, with
   * the reading; false (and the cluster repaired) when events were lost.
   */
  #compare(reading: CheckReading): boolean {
    this.#reading = undefined;
    if (reading.generation !== this.#generation || this.#repair) return true;
    const cached = this.store.size;
    if (cached === reading.count) {
      if (this.#doubt) {
        this.#logger.info(`${this.resource.name}: the cache is verified again`);
        this.#doubt = undefined;
      }
      return true;
    }
    this.counters.lossesFound++;
    const message = `consistency check: ${this.resource.name} has ${reading.count} objects at resourceVersion ${reading.resourceVersion} and the cache ${cached}; the watches lost events, relisting`;
    this.#logger.warn(message);
    this.#onLoss(message);
    return false;
  }

  /** Two failed checks in a row put the cache in doubt until a check matches again. */
  #checkFailed(error: Error): number {
    this.counters.failedChecks++;
    this.#failedChecksInARow++;
    if (this.#failedChecksInARow >= 2 && !this.#doubt) {
      const message = `consistency check failed: ${error.message}`;
      this.#logger.warn(`${this.resource.name}: ${message}`);
      this.#doubt = { message, at: Date.now() };
    }
    const { backoffInitialMs, backoffMaxMs } = this.#timing;
    const base = Math.min(
      backoffMaxMs,
      backoffInitialMs * 2 ** (this.#failedChecksInARow - 1),
    );
    return Math.min(
      this.#checkDelayMs(),
      base / 2 + Math.random() * (base / 2),
    );
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
