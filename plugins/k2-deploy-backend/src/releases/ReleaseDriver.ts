import { isDeepStrictEqual } from 'node:util';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { InputError, isError } from '@backstage/errors';
import {
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
 */
export class ReleaseDriver {
  readonly #store: ReleaseStore;
  readonly #activity: K2ActivityLog;
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #applyRetryMs: number;
  readonly #approvalTimeoutMs: number;
  readonly #secrets: ReleaseSecrets;
  #running?: Promise<void>;
  #again = false;
  /** Whether the last pass found releases in flight: cache changes matter only then. */
  #busy = true;
  #debounce?: NodeJS.Timeout;
  #retry?: NodeJS.Timeout;
  #stopped = false;

  constructor(options: {
    store: ReleaseStore;
    access: K2ClusterAccess;
    activity: K2ActivityLog;
    logger: LoggerService;
    applyRetryMs?: number;
    /** Read for `k2.releases.approvalTimeout`. */
    config?: Config;
  }) {
    this.#store = options.store;
    this.#activity = options.activity;
    this.#access = options.access;
    this.#logger = options.logger;
    this.#applyRetryMs = options.applyRetryMs ?? DEFAULT_APPLY_RETRY_MS;
    this.#approvalTimeoutMs = readApprovalTimeout(options.config);
    this.#secrets = new ReleaseSecrets({ access: options.access });
  }

  /**
   * One pass over every release in flight. Concurrent calls coalesce: a call during a
   * pass schedules one more pass after it.
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
          const active = await this.#store.listActive();
          this.#busy = active.length > 0;
          for (const release of active) {
            try {
              await this.#step(release);
            } catch (error) {
              this.#logger.warn(
                `Release ${release.id} (${release.service} to ${release.environment}): ${error}`,
              );
            }
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
   * Releases that waited for approval longer than the timeout expire. A compare-and-set
   * from `pending-approval`, so a decision or withdrawal racing it wins or loses whole,
   * and only one backend replica records each expiry.
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
        },
      );
      if (!done) continue;
      await this.#activity.record({
        service: release.service,
        environment: release.environment,
        actor: 'k2',
        action: 'release-expired',
        summary: `Release #${release.number} expired: ${reason}`,
        result: 'failed',
        releaseId: release.id,
      });
      if (release.spec.env.some(e => e.secret)) {
        await this.#secrets
          .discard({ spec: release.spec, environment: release.environment })
          .catch(error =>
            this.#logger.warn(
              `Release ${release.id}: could not discard staged secret values: ${error}`,
            ),
          );
      }
    }
  }

  async #step(release: StoredRelease) {
    if (release.status === 'applying') await this.#apply(release);
    else if (release.status === 'rolling-out') await this.#observe(release);
  }

  async #finish(
    release: StoredRelease,
    status: K2ReleaseStatus,
    patch: { reason?: string; progress?: StoredClusterProgress[] },
  ) {
    const done = await this.#store.transition(release.id, release.status, {
      status,
      finishedAt: new Date(),
      ...patch,
    });
    if (!done) return;
    // Never throws: a log that cannot be written does not skip the rollback below.
    await this.#activity.record({
      service: release.service,
      environment: release.environment,
      actor: 'k2',
      action: `release-${status}`,
      summary: `Release #${release.number} ${status}${
        patch.reason ? `: ${patch.reason}` : ''
      }`,
      result: status === 'succeeded' ? 'succeeded' : 'failed',
      releaseId: release.id,
    });
    if (status !== 'succeeded' && release.spec.autoRollback) {
      await this.#autoRollback(done);
    }
  }

  async #autoRollback(failed: StoredRelease) {
    if (failed.kind === 'rollback') return; // never roll back a rollback
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
    if ('created' in result) {
      await this.#store.transition(result.created.id, 'applying', {
        startedAt: new Date(),
      });
      this.#again = true;
    }
  }

  /** Applies the release's objects to every cluster; retries API errors for a while. */
  async #apply(release: StoredRelease) {
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
        await this.#finish(release, 'failed', { reason: message });
      } else if (error instanceof InputError) {
        // The API server refused the objects: retrying cannot help.
        await this.#finish(release, 'failed', {
          reason: `Kubernetes rejected the release: ${message}`,
        });
      } else if (Date.now() - started > this.#applyRetryMs) {
        await this.#finish(release, 'failed', {
          reason: `Could not apply the release: ${message}`,
        });
      } else {
        // Keep the state truthful while retrying: say what is failing.
        await this.#store.transition(release.id, 'applying', {
          reason: `Retrying: ${message}`,
        });
        this.#retrySoon();
      }
      return;
    }
    await this.#store.transition(release.id, 'applying', {
      status: 'rolling-out',
      reason: '',
      startedAt: release.startedAt ? undefined : new Date(),
      progress,
    });
    this.#again = true;
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
      await this.#access.delete(cluster, target);
    }
  }

  /** Reads the rollout from the watch caches; finishes the release when it can. */
  async #observe(release: StoredRelease) {
    const observations = this.#observeClusters(release);
    const progress = observations.map(o => o.progress);
    const fatal = observations.find(o => o.fatal);
    if (fatal) {
      await this.#finish(release, 'failed', {
        reason: `${fatal.progress.cluster}: ${fatal.fatal}`,
        progress,
      });
      return;
    }
    if (progress.every(p => p.done)) {
      await this.#finish(release, 'succeeded', { progress });
      return;
    }
    const started = Date.parse(release.startedAt ?? release.createdAt);
    if (Date.now() - started > release.spec.timeoutSeconds * 1000) {
      const stuck = progress.find(p => !p.done);
      await this.#finish(release, 'timed-out', {
        reason: `Not complete after ${release.spec.timeoutSeconds} s: ${
          stuck ? `${stuck.cluster}: ${stuck.message ?? 'not ready'}` : ''
        }`,
        progress,
      });
      return;
    }
    if (!same(progress, release.progress)) {
      await this.#store.transition(release.id, 'rolling-out', { progress });
    }
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
