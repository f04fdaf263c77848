import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { isError } from '@backstage/errors';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_MIDDLEWARE_INSTANCE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import { K2ActivityLog, KubeObject } from '@internal/plugin-k2-node';
import { setTimeout as sleep } from 'timers/promises';
import { MiddlewareEnvironmentPolicy } from '../config/readMiddlewareConfig';
import {
  InstanceBackup,
  MiddlewareStore,
  StoredInstance,
} from '../database/MiddlewareStore';
import {
  RenderedInstance,
  renderInstance,
  TemplateRegistry,
} from '../templates';
import { InstanceObjects, InstancePlace } from './InstanceObjects';

/** Who the lifecycle's own steps are recorded as. */
export const LIFECYCLE_ACTOR = 'service:k2-middleware-store';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_ACTIVITY_SUMMARY = 2000;

/** What the lifecycle reads of an environment's policy (`k2.middleware.environments`). */
export type LifecyclePolicy = Pick<
  MiddlewareEnvironmentPolicy,
  'ttlDays' | 'reminderDays' | 'retentionDays'
>;

/** What one scheduled pass did, by step. */
export interface LifecycleRunResult {
  reminded: number;
  expired: number;
  advanced: number;
  purged: number;
}

/** How long one pass waits for a dump Job before leaving it to the next pass. */
const DEFAULT_JOB_WAIT_MS = 60_000;
const DEFAULT_JOB_POLL_MS = 1_000;

/**
 * The instance lifecycle as a persisted state machine, driven by the scheduler (scope
 * global) and by {@link LifecycleService.advance} right after an owner's request:
 *
 *   active ──(expires_at ≤ now)──▶ deleting (reason `expired`)
 *   deleting ──▶ deleted | expired    (backup saved, dump Job succeeded, workload gone)
 *   deleting ──▶ failed               (dump Job failed: the workload is kept)
 *   restoring ──▶ active              (saved manifests re-applied, fresh time to live;
 *                                      the backup's Job, volume and row then go)
 *   deleting | restoring ──▶ failed   (the cluster refused an object as invalid)
 *   deleted | expired ──(restorable_until ≤ now)──▶ purged (Secret, volumes, rows gone)
 *
 * Invariants: every step is idempotent and each phase change is conditional on the
 * phase it leaves, so a pass cut short by a crash is taken again from the database, and
 * of two backend replicas acting on one instance exactly one records the change. The
 * workload is deleted only after the backup row (and, where the template dumps, a
 * succeeded dump Job) exists; the Secret and data volumes are deleted only at the end of
 * retention, and only for an instance still deleted or expired. Owners are reminded at
 * most once per expiry (`reminded_at`, cleared by a renewal). Secret data is never read.
 */
export class LifecycleService {
  readonly #store: MiddlewareStore;
  readonly #templates: TemplateRegistry;
  readonly #objects: InstanceObjects;
  readonly #notifications: NotificationService;
  readonly #activity: K2ActivityLog;
  readonly #logger: LoggerService;
  readonly #policies: ReadonlyMap<string, LifecyclePolicy>;
  readonly #jobWaitMs: number;
  readonly #jobPollMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(options: {
    store: MiddlewareStore;
    templates: TemplateRegistry;
    objects: InstanceObjects;
    notifications: NotificationService;
    activity: K2ActivityLog;
    logger: LoggerService;
    /** By environment name (`k2.middleware.environments`, defaults filled). */
    policies: ReadonlyMap<string, LifecyclePolicy>;
    /** How long one pass waits for a dump Job (default a minute). */
    jobWaitMs?: number;
    /** How often it reads the Job's status meanwhile (default a second). */
    jobPollMs?: number;
  }) {
    this.#store = options.store;
    this.#templates = options.templates;
    this.#objects = options.objects;
    this.#notifications = options.notifications;
    this.#activity = options.activity;
    this.#logger = options.logger;
    this.#policies = options.policies;
    this.#jobWaitMs = options.jobWaitMs ?? DEFAULT_JOB_WAIT_MS;
    this.#jobPollMs = options.jobPollMs ?? DEFAULT_JOB_POLL_MS;
  }

  /**
   * Takes the instance as far as it can go now (a deletion or restore just asked for);
   * a dump Job still running after the wait is left to the next pass. Never throws: a
   * step that fails is logged and taken again by the next pass. Calls for an instance
   * already being advanced in this process share that pass.
   */
  advance(id: string, now = new Date()): Promise<void> {
    const running = this.#inFlight.get(id);
    if (running) return running;
    const pass = this.#advance(id, now)
      .catch(error => {
        this.#logger.warn(
          `Middleware instance ${id}: lifecycle step failed, to be taken again: ${error}`,
        );
      })
      .finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, pass);
    return pass;
  }

  /** One scheduled pass: reminders, expiry, deletions and restores, end of retention. */
  async run(now = new Date()): Promise<LifecycleRunResult> {
    const result: LifecycleRunResult = {
      reminded: 0,
      expired: 0,
      advanced: 0,
      purged: 0,
    };
    for (const [environment, policy] of this.#policies) {
      if (policy.ttlDays === undefined || policy.reminderDays === undefined) {
        continue;
      }
      const due = await this.#store.listInstances({
        environment,
        phases: ['active'],
        reminded: false,
        expiresBy: new Date(
          now.getTime() + policy.reminderDays * DAY_MS,
        ).toISOString(),
      });
      for (const instance of due) {
        // Past its expiry an instance is expired below, not reminded.
        if (new Date(instance.expiresAt!) <= now) continue;
        if (
          await this.#step(instance.id, 'reminder', () =>
            this.#remind(instance, now),
          )
        ) {
          result.reminded += 1;
        }
      }
    }
    for (const instance of await this.#store.listInstances({
      phases: ['active'],
      expiresBy: now.toISOString(),
    })) {
      if (
        await this.#step(instance.id, 'expiry', () =>
          this.#expire(instance, now),
        )
      ) {
        result.expired += 1;
      }
    }
    const pending = await this.#store.listInstances({
      phases: ['deleting', 'restoring'],
    });
    await Promise.all(pending.map(i => this.advance(i.id, now)));
    result.advanced = pending.length;
    for (const backup of await this.#store.listExpiredBackups(
      now.toISOString(),
    )) {
      if (
        await this.#step(backup.instanceId, 'end of retention', () =>
          this.#endRetention(backup),
        )
      ) {
        result.purged += 1;
      }
    }
    return result;
  }

  /** One instance's step of a pass; its failure is logged and leaves the others. */
  async #step(
    id: string,
    what: string,
    step: () => Promise<boolean>,
  ): Promise<boolean> {
    try {
      return await step();
    } catch (error) {
      this.#logger.warn(
        `Middleware instance ${id}: ${what} failed, to be taken again: ${error}`,
      );
      return false;
    }
  }

  /**
   * A deletion or restore step; the cluster refusing an object as invalid will refuse
   * it again, so that ends in `failed` with the cluster's words rather than a retry
   * every pass. Other errors (an unreachable cluster) are taken again.
   */
  async #advance(id: string, now: Date) {
    const instance = await this.#store.getInstance(id);
    if (instance?.phase !== 'deleting' && instance?.phase !== 'restoring') {
      return;
    }
    try {
      if (instance.phase === 'deleting') await this.#delete(instance, now);
      else await this.#restore(instance, now);
    } catch (error) {
      if (!isError(error) || error.name !== 'InputError') throw error;
      await this.#fail(
        instance,
        instance.phase,
        `the cluster refused an object: ${error.message}`,
        now,
      );
    }
  }

  /**
   * Marks the current expiry reminded, then tells the owners; a notification that
   * cannot be sent clears the mark again, so the next pass tries once more.
   */
  async #remind(instance: StoredInstance, now: Date): Promise<boolean> {
    const summary = `${instance.name} (${instance.product} ${
      instance.version
    }) in ${instance.environment} expires on ${instance.expiresAt!.slice(
      0,
      10,
    )}; renew it to keep it`;
    const marked = await this.#store.update(instance.id, {
      revision: instance.revision,
      phases: ['active'],
      patch: { remindedAt: now.toISOString() },
    });
    if (!marked) return false;
    try {
      await this.#notifications.send({
        recipients: { type: 'entity', entityRef: instance.owner },
        payload: {
          title: `Middleware ${instance.name} expires soon`,
          description: `${summary}. Expired instances can be restored for a while; after that their data is gone.`,
          link: instanceLink(instance),
          severity: 'normal',
          topic: 'k2-middleware-store',
        },
      });
    } catch (error) {
      await this.#store.update(instance.id, {
        revision: marked.revision,
        patch: { remindedAt: null },
      });
      this.#logger.warn(
        `Middleware instance ${instance.id}: could not remind ${instance.owner}: ${error}`,
      );
      return false;
    }
    await this.#store.addEvent(instance.id, {
      at: now.toISOString(),
      type: 'reminded',
      actor: LIFECYCLE_ACTOR,
      summary: `Reminded ${instance.owner}: ${summary}`,
    });
    await this.#record(instance, 'middleware-remind', summary, 'succeeded');
    return true;
  }

  async #expire(instance: StoredInstance, now: Date): Promise<boolean> {
    const summary = `${instance.name} expired (its time to live ended ${instance.expiresAt}); deleting it after saving its backup`;
    const expiring = await this.#store.transition(instance.id, {
      from: ['active'],
      to: 'deleting',
      reason: 'expired',
      event: {
        at: now.toISOString(),
        type: 'expiring',
        actor: LIFECYCLE_ACTOR,
        summary,
      },
    });
    if (!expiring) return false;
    await this.#record(instance, 'middleware-expire', summary, 'succeeded');
    return true;
  }

  /**
   * Deletion, resumable at every step: backup row, then (templates that dump) backup
   * volume, dump Job and its success, then the workload's objects, then the phase.
   */
  async #delete(instance: StoredInstance, now: Date) {
    const place = placeOf(instance);
    const reason = instance.phaseReason === 'expired' ? 'expired' : 'deleted';
    let backup = await this.#store.getBackup(instance.id);
    if (backup?.dump?.state === 'failed') {
      // A retry after a failed dump starts the backup over with a new Job.
      await this.#objects.deleteNamed(place, [
        { kind: 'Job', name: backup.dump.job },
      ]);
      await this.#store.deleteBackup(instance.id);
      backup = undefined;
    }
    if (!backup) {
      const rendered = await this.#render(instance, now);
      if (!rendered) return;
      const policy = this.#policyOf(instance.environment);
      backup = await this.#store.saveBackup({
        instanceId: instance.id,
        savedAt: now.toISOString(),
        reason,
        restorableUntil: new Date(
          now.getTime() + policy.retentionDays * DAY_MS,
        ).toISOString(),
        manifests: rendered.objects,
        volumes: rendered.dataVolumes,
        ...(rendered.dumpJob
          ? {
              dump: {
                job: `${instance.name}-dump-${now.getTime().toString(36)}`,
                volume: backupVolumeName(instance),
                state: 'running' as const,
              },
            }
          : {}),
      });
      if (backup.savedAt === now.toISOString()) {
        await this.#store.addEvent(instance.id, {
          at: now.toISOString(),
          type: 'backup-saved',
          actor: LIFECYCLE_ACTOR,
          summary: `Saved ${
            backup.manifests.length
          } manifests and the data volumes ${backup.volumes.join(', ')}${
            backup.dump ? `; dumping to ${backup.dump.volume}` : ''
          }`,
        });
      }
    }
    if (backup.dump && backup.dump.state !== 'succeeded') {
      const rendered = await this.#render(instance, now);
      if (!rendered) return;
      if (!rendered.dumpJob || !backup.dump.volume) {
        await this.#fail(
          instance,
          'deleting',
          `its template ${instance.template} no longer has a dump Job; the instance was kept`,
          now,
        );
        return;
      }
      await this.#objects.ensureBackupVolume(
        place,
        backup.dump.volume,
        backup.volumes[0],
        labelsOf(instance),
      );
      await this.#objects.ensureJob(
        place,
        rendered.dumpJob({
          jobName: backup.dump.job,
          claimName: backup.dump.volume,
        }),
      );
      const status = await this.#waitForJob(place, backup.dump.job);
      if (status.state === 'running') return;
      if (status.state !== 'succeeded') {
        await this.#store.setBackupDump(instance.id, {
          ...backup.dump,
          state: 'failed',
        });
        await this.#fail(
          instance,
          'deleting',
          `the dump Job ${backup.dump.job} ${
            status.state === 'absent'
              ? 'disappeared'
              : `failed (${status.reason ?? 'no reason given'})`
          }; the instance was kept with its data, delete it again to retry`,
          now,
        );
        return;
      }
      await this.#store.setBackupDump(instance.id, {
        ...backup.dump,
        state: 'succeeded',
      });
      await this.#store.addEvent(instance.id, {
        at: new Date().toISOString(),
        type: 'dumped',
        actor: LIFECYCLE_ACTOR,
        summary: `The dump Job ${backup.dump.job} wrote its dump to ${backup.dump.volume}`,
      });
    }
    await this.#objects.delete(place, backup.manifests as KubeObject[]);
    const summary = `${instance.name} ${reason}: ${objectNames(
      backup.manifests as KubeObject[],
    )} removed; its Secret and data volumes are kept until ${
      backup.restorableUntil
    } for a restore`;
    const done = await this.#store.transition(instance.id, {
      from: ['deleting'],
      to: reason,
      event: {
        at: new Date().toISOString(),
        type: reason,
        actor: LIFECYCLE_ACTOR,
        summary,
      },
    });
    if (done) {
      await this.#record(
        instance,
        `middleware-${reason}`,
        summary,
        'succeeded',
      );
    }
  }

  /**
   * The instance's objects from its template, which a deletion needs only to save its
   * backup and run the dump Job. Without the template (no longer offered) the deletion
   * fails, keeping the instance, and this gives undefined.
   */
  async #render(
    instance: StoredInstance,
    now: Date,
  ): Promise<RenderedInstance | undefined> {
    const template = this.#templates.get(instance.template);
    if (!template) {
      await this.#fail(
        instance,
        'deleting',
        `its template ${instance.template} is no longer offered, so its backup cannot be made; the instance was kept`,
        now,
      );
      return undefined;
    }
    return renderInstance(
      template,
      {
        id: instance.id,
        name: instance.name,
        namespace: instance.namespace,
        environment: instance.environment,
        service: instance.service,
        owner: instance.owner,
      },
      instance.parameters,
    );
  }

  /**
   * Restore: the saved manifests onto the kept Secret and data volumes, then active
   * with a fresh time to live; the backup (its dump Job, volume and row) goes after.
   */
  async #restore(instance: StoredInstance, now: Date) {
    const place = placeOf(instance);
    const backup = await this.#store.getBackup(instance.id);
    if (!backup) {
      await this.#fail(
        instance,
        'restoring',
        'it has no backup to restore from',
        now,
      );
      return;
    }
    await this.#objects.apply(place, backup.manifests as KubeObject[]);
    const expiresAt = this.#expiryFrom(instance.environment, now);
    const summary = `${
      instance.name
    } restored with its Secret and data volumes ${backup.volumes.join(', ')}${
      expiresAt ? `; it now expires on ${expiresAt.slice(0, 10)}` : ''
    }`;
    const restored = await this.#store.transition(instance.id, {
      from: ['restoring'],
      to: 'active',
      patch: { expiresAt: expiresAt ?? null, remindedAt: null },
      event: {
        at: now.toISOString(),
        type: 'restored',
        actor: LIFECYCLE_ACTOR,
        summary,
      },
    });
    if (!restored) return;
    await this.#record(instance, 'middleware-restore', summary, 'succeeded');
    await this.#dropBackup(place, backup);
  }

  /**
   * At the end of retention: a deleted or expired instance loses its Secret, data
   * volumes and backup, then its rows; an instance restored (or kept by a failed dump)
   * meanwhile only loses the leftover backup. One being deleted or restored is left.
   */
  async #endRetention(backup: InstanceBackup): Promise<boolean> {
    const instance = await this.#store.getInstance(backup.instanceId);
    if (!instance) return false;
    const place = placeOf(instance);
    if (instance.phase === 'deleting' || instance.phase === 'restoring') {
      return false;
    }
    if (instance.phase !== 'deleted' && instance.phase !== 'expired') {
      await this.#dropBackup(place, backup);
      return false;
    }
    await this.#objects.deleteNamed(place, [
      { kind: 'Secret', name: instance.secretName },
      ...backup.volumes.map(name => ({
        kind: 'PersistentVolumeClaim',
        name,
      })),
    ]);
    await this.#dropBackup(place, backup);
    // A restore asked for meanwhile (refused past restorable_until, but a clock may
    // differ) keeps its rows; its objects were already gone.
    const still = await this.#store.getInstance(instance.id);
    if (still?.phase !== 'deleted' && still?.phase !== 'expired') return false;
    await this.#store.purgeInstance(instance.id);
    await this.#record(
      instance,
      'middleware-purge',
      `${instance.name}: retention ended; its Secret, data volumes${
        backup.dump ? ', dump' : ''
      } and history were removed`,
      'succeeded',
    );
    return true;
  }

  /** Deletes the dump Job, the backup volume and the backup row. */
  async #dropBackup(place: InstancePlace, backup: InstanceBackup) {
    if (backup.dump) {
      await this.#objects.deleteNamed(place, [
        { kind: 'Job', name: backup.dump.job },
        ...(backup.dump.volume
          ? [{ kind: 'PersistentVolumeClaim', name: backup.dump.volume }]
          : []),
      ]);
    }
    await this.#store.deleteBackup(backup.instanceId);
  }

  async #waitForJob(place: InstancePlace, job: string) {
    const deadline = Date.now() + this.#jobWaitMs;
    for (;;) {
      const status = await this.#objects.jobStatus(place, job);
      if (status.state !== 'running' || Date.now() >= deadline) return status;
      await sleep(this.#jobPollMs);
    }
  }

  async #fail(
    instance: StoredInstance,
    from: 'deleting' | 'restoring',
    why: string,
    now: Date,
  ) {
    const summary = `${from === 'deleting' ? 'Deletion' : 'Restore'} of ${
      instance.name
    } failed: ${why}`;
    const failed = await this.#store.transition(instance.id, {
      from: [from],
      to: 'failed',
      reason: summary,
      event: {
        at: now.toISOString(),
        type: 'failed',
        actor: LIFECYCLE_ACTOR,
        summary,
      },
    });
    if (failed) {
      await this.#record(
        instance,
        from === 'deleting' ? 'middleware-delete' : 'middleware-restore',
        summary,
        'failed',
      );
    }
  }

  /** The expiry a restored instance gets: undefined where instances never expire. */
  #expiryFrom(environment: string, now: Date): string | undefined {
    const ttl = this.#policies.get(environment)?.ttlDays;
    return ttl === undefined
      ? undefined
      : new Date(now.getTime() + ttl * DAY_MS).toISOString();
  }

  #policyOf(environment: string): LifecyclePolicy {
    const policy = this.#policies.get(environment);
    if (!policy) {
      throw new Error(
        `k2.middleware.environments has no environment '${environment}'`,
      );
    }
    return policy;
  }

  async #record(
    instance: StoredInstance,
    action: string,
    summary: string,
    result: 'succeeded' | 'failed',
  ) {
    await this.#activity.record({
      service: instance.service,
      environment: instance.environment,
      actor: LIFECYCLE_ACTOR,
      action,
      // The activity log refuses longer summaries (a cluster's error can be long).
      summary: summary.slice(0, MAX_ACTIVITY_SUMMARY),
      result,
    });
  }
}

function placeOf(instance: StoredInstance): InstancePlace {
  return { cluster: instance.cluster, namespace: instance.namespace };
}

/** The volume a deletion's dump goes to. */
export function backupVolumeName(instance: { name: string }) {
  return `${instance.name}-backup`;
}

function labelsOf(instance: StoredInstance): Record<string, string> {
  return {
    [LABEL_MIDDLEWARE_INSTANCE]: instance.name,
    [LABEL_MANAGED_BY]: MANAGED_BY_K2,
    [LABEL_ENVIRONMENT]: instance.environment,
  };
}

/** The instance on its service's Middleware tab. */
export function instanceLink(instance: { id: string; service: string }) {
  const ref = parseEntityRef(instance.service);
  return `/catalog/${ref.namespace}/${ref.kind}/${ref.name}/middleware?instance=${instance.id}`;
}

function objectNames(objects: KubeObject[]) {
  return objects.map(o => `${o.kind} ${o.metadata.name}`).join(', ');
}
