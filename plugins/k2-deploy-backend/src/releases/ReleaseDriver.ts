import { isDeepStrictEqual } from 'node:util';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  InputError,
  isError,
  NotAllowedError,
  ResponseError,
} from '@backstage/errors';
import {
  K2NewActivity,
  K2ReleaseStatus,
  LABEL_MANAGED_BY,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import {
  ClusterChange,
  K2ActivityLog,
  K2ClusterAccess,
  KubeObject,
} from '@internal/plugin-k2-node';
import {
  ReleaseFollowUp,
  ReleaseStore,
  StoredClusterProgress,
  StoredRelease,
} from '../database/ReleaseStore';
import { ForeignObjectError, checkOwnership } from './ownership';
import { ReleaseSecrets } from './ReleaseSecrets';
import { renderManifests, selectorLabels } from './renderManifests';
import { observeCluster } from './rolloutProgress';

/** How long K2 keeps retrying API errors while applying before the release fails. */
export const DEFAULT_APPLY_RETRY_MS = 60_000;

/** How long a release waits for approval before it expires. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 72 * 3600_000;

/** How long one apply or delete of the driver may take before it counts as failed. */
export const DEFAULT_CLUSTER_CALL_TIMEOUT_MS = 10_000;

const CLUSTER_CALL_TIMEOUT_KEY = 'k2.releases.clusterCallTimeout';

/** How long a driver that claimed a release's follow-ups keeps them from other drivers. */
const FOLLOW_UP_LEASE_MS = 60_000;

/** How soon follow-ups that failed are tried again. */
const FOLLOW_UP_RETRY_MS = 5_000;

/** Characters of an activity summary kept (the activity log refuses longer ones). */
const MAX_SUMMARY = 2000;

/**
 * Reads `k2.releases.approvalTimeout`, falling back to
 * {@link DEFAULT_APPROVAL_TIMEOUT_MS}.
 *
 * @throws Error naming the key when it is not a positive duration
 */
export function readApprovalTimeout(config?: Config): number {
  const key = 'k2.releases.approvalTimeout';
  if (!config?.has(key)) return DEFAULT_APPROVAL_TIMEOUT_MS;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) {
    throw new Error(`Invalid config at '${key}': must be a positive duration`);
  }
  return ms;
}

/**
 * Reads `k2.releases.clusterCallTimeout`, falling back to
 * {@link DEFAULT_CLUSTER_CALL_TIMEOUT_MS}.
 *
 * @throws Error naming the key when it is not a positive duration
 */
export function readClusterCallTimeout(config?: Config): number {
  const key = CLUSTER_CALL_TIMEOUT_KEY;
  if (!config?.has(key)) return DEFAULT_CLUSTER_CALL_TIMEOUT_MS;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) {
    throw new Error(`Invalid config at '${key}': must be a positive duration`);
  }
  return ms;
}

/** The activity log entry of a release's last transition, made by the driver. */
function transitionEntry(release: StoredRelease): K2NewActivity {
  return {
    service: release.service,
    environment: release.environment,
    actor: 'k2',
    action: `release-${release.status}`,
    summary: `Release #${release.number} ${release.status}${
      release.reason ? `: ${release.reason}` : ''
    }`.slice(0, MAX_SUMMARY),
    result: release.status === 'succeeded' ? 'succeeded' : 'failed',
    releaseId: release.id,
  };
}

/**
 * Whether fresh progress equals the stored one. Compared as the store will read it back
 * (JSON drops fields that are undefined), in any key order.
 */
const same = (fresh: unknown, stored: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(fresh)), stored);

/**
 * Drives releases through their state machine from the database and the watch caches:
 *
 *   pending-approval → applying → rolling-out → succeeded | failed | timed-out
 *   pending-approval → rejected | cancelled | expired
 *
 * A release waiting for approval does not occupy its target; the driver only expires
 * it once it has waited `k2.releases.approvalTimeout`.
 *
 * Every step is idempotent and every transition a compare-and-set on the stored
 * status, so a restarted backend (or a second replica) picks up where the last one
 * stopped, and two drivers never both complete a step.
 *
 * Targets are isolated: a pass only reads the database and hands each release (one
 * target: service and environment, in its clusters) to a worker of its own, which runs
 * one step at a time for it. Every apply or delete is bounded by
 * `k2.releases.clusterCallTimeout`, so a cluster that answers nothing holds only the
 * releases that touch it, and only for that long per step; the others, and the next
 * passes, go on meanwhile.
 *
 * Follow-ups are never lost: the steps a transition owes (its activity log entry, the
 * automatic rollback, discarding staged secret values) are stored with the transition
 * in one update, then done and cleared one by one. One that fails stays pending and is
 * tried again on a later pass until it succeeds. A driver claims them before doing
 * them, so two replicas never run them at once. The rollback is idempotent because it
 * is made only while the failed release is still the newest its target dispatched (a
 * rollback made before a restart, or any later release, supersedes it); an activity
 * entry is written at least once (twice only if the backend stops between the log's
 * answer and the clearing).
 */
export class ReleaseDriver {
  readonly #store: ReleaseStore;
  readonly #activity: K2ActivityLog;
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #applyRetryMs: number;
  readonly #approvalTimeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #secrets: ReleaseSecrets;
  /** Per release being worked on: whether another step was asked for meanwhile. */
  readonly #workers = new Map<string, { again: boolean }>();
  #running?: Promise<void>;
  #again = false;
  /** Whether the last pass found releases in flight: cache changes matter only then. */
  #busy = true;
  #debounce?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  /** Per release whose follow-ups are not due yet: the timer that brings it back. */
  readonly #followUpTimers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(options: {
    store: ReleaseStore;
    access: K2ClusterAccess;
    activity: K2ActivityLog;
    logger: LoggerService;
    applyRetryMs?: number;
    /** Read for `k2.releases.approvalTimeout` and `k2.releases.clusterCallTimeout`. */
    config?: Config;
  }) {
    this.#store = options.store;
    this.#activity = options.activity;
    this.#access = options.access;
    this.#logger = options.logger;
    this.#applyRetryMs = options.applyRetryMs ?? DEFAULT_APPLY_RETRY_MS;
    this.#approvalTimeoutMs = readApprovalTimeout(options.config);
    this.#callTimeoutMs = readClusterCallTimeout(options.config);
    this.#secrets = new ReleaseSecrets({ access: options.access });
  }

  /**
   * One pass: expires releases that waited too long, and hands every release in
   * flight or with follow-ups due to its worker. Resolves once they are handed over,
   * not when their steps end. Concurrent calls coalesce: a call during a pass
   * schedules one more pass after it.
   */
  tick(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#expireWaiting().catch(error =>
            this.#logger.warn(
              `Expiring releases waiting for approval: ${error}`,
            ),
          );
          // Follow-ups are never due later than a lease from now: those due now are
          // done now, the others when they fall due (claimed by a driver that stopped,
          // or failed and waiting to be tried again).
          const [active, owing] = await Promise.all([
            this.#store.listActive(),
            this.#store.listFollowUpsDue(
              new Date(Date.now() + FOLLOW_UP_LEASE_MS),
            ),
          ]);
          this.#busy = active.length > 0;
          for (const release of active) this.#work(release.id);
          for (const release of owing) {
            this.#workAt(release.id, Date.parse(release.followUpsDue ?? ''));
          }
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /**
   * Called for every change in the watch caches: while releases are in flight, a
   * change to a K2 Deployment or pod brings the next pass forward (debounced), so
   * releases finish as soon as the cluster says so.
   */
  notify(change: ClusterChange): void {
    if (!this.#busy || this.#debounce) return;
    if (change.resource !== 'deployments' && change.resource !== 'pods') return;
    if (change.object.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_K2) {
      return;
    }
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.tick().catch(() => {});
    }, 200);
  }

  /** A new or approved release: act now. */
  kick(): void {
    this.#busy = true;
    this.tick().catch(() => {});
  }

  stop(): void {
    clearTimeout(this.#debounce);
    clearTimeout(this.#retry);
    this.#followUpTimers.forEach(timer => clearTimeout(timer));
    this.#followUpTimers.clear();
    this.#stopped = true;
    this.#busy = false;
  }

  /** Another pass in a second, for a release whose apply is being retried. */
  #retrySoon() {
    if (this.#retry || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.tick().catch(() => {});
    }, 1000);
  }

  /**
   * Steps one release until it needs nothing more now, reading it afresh before each
   * step. At most one worker per release; asked again while busy, it takes one more
   * step after the current one.
   */
  #work(id: string) {
    const busy = this.#workers.get(id);
    if (busy) {
      busy.again = true;
      return;
    }
    if (this.#stopped) return;
    const worker = { again: true };
    this.#workers.set(id, worker);
    (async () => {
      try {
        while (worker.again && !this.#stopped) {
          worker.again = false;
          const release = await this.#store.get(id);
          if (!release) return;
          try {
            if (await this.#step(release)) worker.again = true;
          } catch (error) {
            this.#logger.warn(
              `Release ${release.id} (${release.service} to ${release.environment}): ${error}`,
            );
          }
        }
      } finally {
        // In the same turn as the last check of `again`, so no request is lost.
        this.#workers.delete(id);
      }
    })().catch(error => this.#logger.warn(`Release ${id}: ${error}`));
  }

  /**
   * {@link ReleaseDriver.#work} at `at` (epoch ms), now if it is past; replaces the
   * release's earlier timer, so it follows the latest due time read.
   */
  #workAt(id: string, at: number) {
    clearTimeout(this.#followUpTimers.get(id));
    this.#followUpTimers.delete(id);
    const wait = at - Date.now();
    if (!(wait > 0)) {
      this.#work(id);
      return;
    }
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#followUpTimers.delete(id);
      this.#work(id);
    }, wait + 50);
    this.#followUpTimers.set(id, timer);
  }

  /**
   * Releases that waited for approval longer than the timeout expire. A compare-and-set
   * from `pending-approval`, so a decision or withdrawal racing it wins or loses whole,
   * and only one backend replica records each expiry; its activity entry and the
   * discarding of staged secret values are follow-ups.
   */
  async #expireWaiting() {
    const cutoff = new Date(Date.now() - this.#approvalTimeoutMs);
    for (const release of await this.#store.listWaiting(cutoff)) {
      const hours = Math.round((this.#approvalTimeoutMs / 3600_000) * 10) / 10;
      const reason = `No decision within ${
        hours >= 1
          ? `${hours} h`
          : `${Math.round(this.#approvalTimeoutMs / 1000)} s`
      } (k2.releases.approvalTimeout)`;
      const done = await this.#store.transition(
        release.id,
        'pending-approval',
        {
          status: 'expired',
          reason,
          finishedAt: new Date(),
          followUps: release.spec.env.some(e => e.secret)
            ? ['activity', 'discard-secrets']
            : ['activity'],
        },
      );
      if (done) this.#work(done.id);
    }
  }

  /** One step of a release; true when it has more to do right away. */
  async #step(release: StoredRelease): Promise<boolean> {
    if (release.status === 'applying') return this.#apply(release);
    if (release.status === 'rolling-out') return this.#observe(release);
    if (
      release.followUps &&
      Date.parse(release.followUpsDue ?? '') <= Date.now()
    ) {
      await this.#followUp(release);
    }
    return false;
  }

  /**
   * Finishes a release, owing its activity entry and, for a release that did not
   * succeed and asks for it, the automatic rollback (never of a rollback). True when
   * this driver made the transition (its follow-ups are then the next step).
   */
  async #finish(
    release: StoredRelease,
    status: K2ReleaseStatus,
    patch: { reason?: string; progress?: StoredClusterProgress[] },
  ): Promise<boolean> {
    const followUps: ReleaseFollowUp[] = ['activity'];
    if (
      status !== 'succeeded' &&
      release.spec.autoRollback &&
      release.kind !== 'rollback'
    ) {
      followUps.unshift('rollback');
    }
    const done = await this.#store.transition(release.id, release.status, {
      status,
      finishedAt: new Date(),
      ...patch,
      followUps,
    });
    return !!done;
  }

  /**
   * Does a release's follow-ups, once claimed; what fails stays pending and is tried
   * again after {@link FOLLOW_UP_RETRY_MS}.
   */
  async #followUp(seen: StoredRelease) {
    const now = new Date();
    const release = await this.#store.claimFollowUps(
      seen.id,
      now,
      new Date(now.getTime() + FOLLOW_UP_LEASE_MS),
    );
    if (!release?.followUps) return;
    const remaining: ReleaseFollowUp[] = [];
    for (const followUp of release.followUps) {
      try {
        if (followUp === 'rollback') await this.#autoRollback(release);
        else if (followUp === 'activity') await this.#record(release);
        else await this.#discardSecrets(release);
      } catch (error) {
        this.#logger.warn(
          `Release ${release.id} (${release.service} to ${release.environment}): ${followUp} after ${release.status} failed, trying again: ${error}`,
        );
        remaining.push(followUp);
      }
    }
    const retryAt = Date.now() + FOLLOW_UP_RETRY_MS;
    await this.#store.settleFollowUps(release.id, remaining, new Date(retryAt));
    if (remaining.length) this.#workAt(release.id, retryAt);
  }

  /**
   * Deletes the secret values an expired release staged; given up when a cluster
   * refuses it (K2's account may not, or the request is invalid): retrying cannot help.
   */
  async #discardSecrets(release: StoredRelease) {
    try {
      await this.#secrets.discard({
        spec: release.spec,
        environment: release.environment,
      });
    } catch (error) {
      if (!(error instanceof NotAllowedError || error instanceof InputError)) {
        throw error;
      }
      this.#logger.error(
        `Release ${release.id}: could not discard staged secret values: ${error}`,
      );
    }
  }

  /** Writes the transition's activity entry; an entry the log refuses is given up. */
  async #record(release: StoredRelease) {
    try {
      await this.#activity.write(transitionEntry(release));
    } catch (error) {
      const status = (error as ResponseError).response?.status;
      if (status === undefined || status >= 500) throw error;
      // Refused (4xx): it would be refused again.
      this.#logger.error(
        `Could not record ${transitionEntry(release).action} on ${
          release.service
        } in the activity log: ${error}`,
      );
    }
  }

  /**
   * Rolls a failed release back to the target's newest release that succeeded, as a
   * new release. Only while the failed release is still the newest the target
   * dispatched: a later one (this rollback, made before a restart, or anyone's
   * release) supersedes it.
   */
  async #autoRollback(failed: StoredRelease) {
    const latest = await this.#store.getLatestDispatched(
      failed.service,
      failed.environment,
    );
    if (latest && latest.number > failed.number) return;
    const previous = await this.#store.getCurrent(
      failed.service,
      failed.environment,
    );
    if (!previous) return;
    const result = await this.#store.create({
      service: failed.service,
      environment: failed.environment,
      namespace: failed.namespace,
      kind: 'rollback',
      status: 'applying',
      spec: previous.spec,
      rollbackOf: previous.id,
      message: `Automatic rollback after release #${failed.number} ${failed.status}`,
      createdBy: 'k2:auto-rollback',
    });
    // Another release in flight on the target is newer: it supersedes the rollback.
    if ('created' in result) {
      await this.#store.transition(result.created.id, 'applying', {
        startedAt: new Date(),
      });
      this.#work(result.created.id);
    }
  }

  /**
   * Applies the release's objects to every cluster, each call bounded by
   * `k2.releases.clusterCallTimeout`; retries API errors (a timeout included) for
   * `k2.releases.applyRetryTimeout`. True when the release moved on.
   */
  async #apply(release: StoredRelease): Promise<boolean> {
    const { spec } = release;
    const progress: StoredClusterProgress[] = [];
    const render = (cluster: { name: string; replicas: number }) =>
      renderManifests(spec, {
        service: release.service,
        environment: release.environment,
        cluster: cluster.name,
        replicas: cluster.replicas,
        releaseId: release.template.releaseId,
        releaseNumber: release.template.number,
        restartedAt: release.template.restartedAt,
        // An adopted Deployment keeps the selector it was made with.
        keptSelector: this.#access
          .cache(cluster.name)
          .store('deployments')
          .get(spec.namespace, spec.name)?.spec?.selector?.matchLabels,
      });
    try {
      // The apply is forced, so first make sure that, in every cluster, each object
      // either does not exist yet or is this service's own.
      for (const cluster of spec.clusters) {
        for (const object of render(cluster)) {
          checkOwnership(this.#access.cache(cluster.name), object, spec.name);
        }
      }
      for (const cluster of spec.clusters) {
        const objects = render(cluster);
        let generation: number | undefined;
        for (const object of objects) {
          const applied = await this.#access.apply(cluster.name, object, {
            force: true,
            timeoutMs: this.#callTimeoutMs,
            timeoutKey: CLUSTER_CALL_TIMEOUT_KEY,
          });
          if (object.kind === 'Deployment') {
            generation = applied.metadata.generation;
          }
        }
        if (!spec.autoscaling) {
          await this.#removeAutoscaler(cluster.name, release);
        }
        progress.push({
          cluster: cluster.name,
          replicas: cluster.replicas,
          updated: 0,
          ready: 0,
          available: 0,
          old: 0,
          done: false,
          generation,
        });
      }
    } catch (error) {
      const message = isError(error) ? error.message : String(error);
      const started = Date.parse(release.startedAt ?? release.createdAt);
      if (error instanceof ForeignObjectError) {
        return this.#finish(release, 'failed', { reason: message });
      }
      if (error instanceof InputError) {
        // The API server refused the objects: retrying cannot help.
        return this.#finish(release, 'failed', {
          reason: `Kubernetes rejected the release: ${message}`,
        });
      }
      if (Date.now() - started > this.#applyRetryMs) {
        return this.#finish(release, 'failed', {
          reason: `Could not apply the release: ${message}`,
        });
      }
      // Keep the state truthful while retrying: say what is failing.
      await this.#store.transition(release.id, 'applying', {
        reason: `Retrying: ${message}`,
      });
      this.#retrySoon();
      return false;
    }
    const moved = await this.#store.transition(release.id, 'applying', {
      status: 'rolling-out',
      reason: '',
      startedAt: release.startedAt ? undefined : new Date(),
      progress,
    });
    return !!moved;
  }

  /** Deletes the HPA K2 made earlier for this service, once autoscaling is off. */
  async #removeAutoscaler(cluster: string, release: StoredRelease) {
    const { spec } = release;
    const hpa = this.#access
      .cache(cluster)
      .store('horizontalpodautoscalers')
      .get(spec.namespace, spec.name);
    const selector = selectorLabels(spec, release.environment);
    if (
      hpa &&
      Object.entries(selector).every(([k, v]) => hpa.metadata.labels?.[k] === v)
    ) {
      const target: KubeObject = {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: spec.name, namespace: spec.namespace },
      };
      await this.#access.delete(cluster, target, {
        timeoutMs: this.#callTimeoutMs,
        timeoutKey: CLUSTER_CALL_TIMEOUT_KEY,
      });
    }
  }

  /**
   * Reads the rollout from the watch caches (no API call); finishes the release when
   * it can. True when it finished.
   */
  async #observe(release: StoredRelease): Promise<boolean> {
    const observations = this.#observeClusters(release);
    const progress = observations.map(o => o.progress);
    const fatal = observations.find(o => o.fatal);
    if (fatal) {
      return this.#finish(release, 'failed', {
        reason: `${fatal.progress.cluster}: ${fatal.fatal}`,
        progress,
      });
    }
    if (progress.every(p => p.done)) {
      return this.#finish(release, 'succeeded', { progress });
    }
    const started = Date.parse(release.startedAt ?? release.createdAt);
    if (Date.now() - started > release.spec.timeoutSeconds * 1000) {
      const stuck = progress.find(p => !p.done);
      return this.#finish(release, 'timed-out', {
        reason: `Not complete after ${release.spec.timeoutSeconds} s: ${
          stuck ? `${stuck.cluster}: ${stuck.message ?? 'not ready'}` : ''
        }`,
        progress,
      });
    }
    if (!same(progress, release.progress)) {
      await this.#store.transition(release.id, 'rolling-out', { progress });
    }
    return false;
  }

  /** Live progress for an API reader (the cache moves faster than the driver's ticks). */
  liveProgress(release: StoredRelease): StoredClusterProgress[] {
    if (release.status !== 'rolling-out') return release.progress;
    return this.#observeClusters(release).map(o => o.progress);
  }

  /** Each cluster's rollout as its watch cache shows it now. */
  #observeClusters(release: StoredRelease) {
    return release.spec.clusters.map(cluster => {
      const previous = release.progress.find(p => p.cluster === cluster.name);
      return observeCluster(this.#access.cache(cluster.name), {
        namespace: release.spec.namespace,
        name: release.spec.name,
        replicas: cluster.replicas,
        generation: previous?.generation,
      });
    });
  }
}
