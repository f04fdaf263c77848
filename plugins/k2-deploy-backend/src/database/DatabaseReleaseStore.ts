import {
  K2_ACTIVE_RELEASE_STATUSES,
  K2_IN_FLIGHT_RELEASE_STATUSES,
  K2ReleaseStatus,
} from '@internal/plugin-k2-common';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { parseReleaseSpec } from './specs';
import { numberCursor, timeCursor } from './cursors';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import { migrate, PluginDatabase } from './migrations';
import {
  HistoryQuery,
  NewRelease,
  ReleaseFollowUp,
  ReleasePatch,
  ReleaseStore,
  StoredRelease,
} from './ReleaseStore';

type ReleaseRow = {
  id: string;
  service_ref: string;
  environment: string;
  namespace: string;
  number: number;
  kind: string;
  status: string;
  active_target: string | null;
  waiting_target: string | null;
  replicas_requested: boolean | number | null;
  spec: string;
  template: string;
  message: string | null;
  reason: string | null;
  rollback_of: string | null;
  created_by: string;
  created_at: Date | string;
  approved_by: string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  progress: string;
  follow_ups: string | null;
  follow_ups_due: Date | string | null;
  image_digest: string | null;
};

/** Statuses of releases that went in flight: applying, rolling out, or finished from there. */
const DISPATCHED_STATUSES: K2ReleaseStatus[] = [
  'applying',
  'rolling-out',
  'succeeded',
  'failed',
  'timed-out',
];

function toRelease(row: ReleaseRow): StoredRelease {
  return {
    id: row.id,
    service: row.service_ref,
    environment: row.environment,
    namespace: row.namespace,
    number: Number(row.number),
    kind: row.kind as StoredRelease['kind'],
    status: row.status as K2ReleaseStatus,
    spec: parseReleaseSpec(row.spec),
    template: JSON.parse(row.template),
    message: row.message ?? undefined,
    reason: row.reason || undefined,
    rollbackOf: row.rollback_of ?? undefined,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
    approvedBy: row.approved_by ?? undefined,
    startedAt: isoTimestamp(row.started_at),
    finishedAt: isoTimestamp(row.finished_at),
    progress: JSON.parse(row.progress),
    // SQLite keeps booleans as 0 and 1.
    replicasRequested:
      row.replicas_requested === null ? undefined : !!row.replicas_requested,
    followUps: row.follow_ups ? JSON.parse(row.follow_ups) : undefined,
    followUpsDue: isoTimestamp(row.follow_ups_due),
    imageDigest: row.image_digest ?? undefined,
  };
}

const activeTarget = (service: string, environment: string) =>
  `${service}|${environment}`;

/** {@link ReleaseStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseReleaseStore implements ReleaseStore {
  static async create(options: PluginDatabase): Promise<DatabaseReleaseStore> {
    return new DatabaseReleaseStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async create(
    release: NewRelease,
  ): Promise<{ created: StoredRelease } | { running: StoredRelease }> {
    const inFlight =
      K2_IN_FLIGHT_RELEASE_STATUSES.includes(release.status) ||
      !!release.holdTarget;
    const waiting = !inFlight && release.status === 'pending-approval';
    const target = activeTarget(release.service, release.environment);
    // Two attempts: a concurrent insert for the same target can take the number this
    // one computed after the target was found free.
    for (let attempt = 0; ; attempt++) {
      let running: StoredRelease | undefined;
      if (inFlight) {
        running = await this.getActive(release.service, release.environment);
      } else if (waiting) {
        const row = await this.knex<ReleaseRow>('k2_releases')
          .where({ waiting_target: target })
          .first();
        running = row && toRelease(row);
      }
      if (running) return { running };
      const id = randomUUID();
      try {
        await this.knex.transaction(async tx => {
          const last = await tx<ReleaseRow>('k2_releases')
            .where({
              service_ref: release.service,
              environment: release.environment,
            })
            .max({ number: 'number' })
            .first();
          const number = Number(last?.number ?? 0) + 1;
          const row: ReleaseRow = {
            id,
            service_ref: release.service,
            environment: release.environment,
            namespace: release.namespace,
            number,
            kind: release.kind,
            status: release.status,
            active_target: inFlight ? target : null,
            waiting_target: waiting ? target : null,
            replicas_requested: release.replicasRequested ?? null,
            spec: JSON.stringify(release.spec),
            template: JSON.stringify(
              release.template ?? { releaseId: id, number },
            ),
            message: release.message ?? null,
            reason: null,
            rollback_of: release.rollbackOf ?? null,
            created_by: release.createdBy,
            created_at: new Date().toISOString(),
            approved_by: null,
            started_at: null,
            finished_at: null,
            progress: '[]',
            follow_ups: null,
            follow_ups_due: null,
            image_digest: release.imageDigest ?? null,
          };
          await tx('k2_releases').insert(row);
        });
        return { created: (await this.get(id))! };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt > 0) throw error;
      }
    }
  }

  async get(id: string): Promise<StoredRelease | undefined> {
    const row = await this.knex<ReleaseRow>('k2_releases')
      .where({ id })
      .first();
    return row && toRelease(row);
  }

  async transition(
    id: string,
    from: K2ReleaseStatus,
    patch: ReleasePatch,
  ): Promise<StoredRelease | undefined> {
    const update: Partial<ReleaseRow> = {};
    if (patch.status) {
      update.status = patch.status;
      if (!K2_ACTIVE_RELEASE_STATUSES.includes(patch.status)) {
        update.active_target = null;
        update.waiting_target = null;
      } else if (K2_IN_FLIGHT_RELEASE_STATUSES.includes(patch.status)) {
        // Going in flight takes the target (a waiting release, once approved); the
        // unique key refuses it while another release occupies it.
        const row = await this.knex<ReleaseRow>('k2_releases')
          .where({ id })
          .first();
        if (!row) return undefined;
        update.active_target = activeTarget(row.service_ref, row.environment);
        update.waiting_target = null;
      }
    }
    if (patch.spec) update.spec = JSON.stringify(patch.spec);
    if (patch.imageDigest !== undefined) {
      update.image_digest = patch.imageDigest;
    }
    if (patch.reason !== undefined) update.reason = patch.reason;
    if (patch.approvedBy !== undefined) update.approved_by = patch.approvedBy;
    if (patch.startedAt) update.started_at = patch.startedAt.toISOString();
    if (patch.finishedAt) update.finished_at = patch.finishedAt.toISOString();
    if (patch.progress) update.progress = JSON.stringify(patch.progress);
    if (patch.followUps?.length) {
      update.follow_ups = JSON.stringify(patch.followUps);
      update.follow_ups_due = new Date().toISOString();
    }
    let count: number;
    try {
      count = await this.knex('k2_releases')
        .where({ id, status: from })
        .update(update);
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    return count === 1 ? this.get(id) : undefined;
  }

  async listActive(): Promise<StoredRelease[]> {
    const rows = await this.knex<ReleaseRow>('k2_releases')
      .whereNotNull('active_target')
      .orderBy('created_at', 'asc');
    return rows.map(toRelease);
  }

  async listWaiting(createdBefore: Date): Promise<StoredRelease[]> {
    const rows = await this.knex<ReleaseRow>('k2_releases')
      .whereNotNull('waiting_target')
      .andWhere('created_at', '<', createdBefore.toISOString())
      .orderBy('created_at', 'asc');
    return rows.map(toRelease);
  }

  async listFollowUpsDue(now: Date): Promise<StoredRelease[]> {
    const rows = await this.knex<ReleaseRow>('k2_releases')
      .whereNotNull('follow_ups')
      .andWhere('follow_ups_due', '<=', now.toISOString())
      .orderBy('follow_ups_due', 'asc');
    return rows.map(toRelease);
  }

  async claimFollowUps(
    id: string,
    now: Date,
    until: Date,
  ): Promise<StoredRelease | undefined> {
    // One statement: of two drivers claiming at once, only one finds them still due.
    const count = await this.knex('k2_releases')
      .where({ id })
      .whereNotNull('follow_ups')
      .andWhere('follow_ups_due', '<=', now.toISOString())
      .update({ follow_ups_due: until.toISOString() });
    return count === 1 ? this.get(id) : undefined;
  }

  async settleFollowUps(
    id: string,
    remaining: ReleaseFollowUp[],
    retryAt: Date,
  ): Promise<void> {
    await this.knex('k2_releases')
      .where({ id })
      .update(
        remaining.length
          ? {
              follow_ups: JSON.stringify(remaining),
              follow_ups_due: retryAt.toISOString(),
            }
          : { follow_ups: null, follow_ups_due: null },
      );
  }

  async getLatestDispatched(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined> {
    const row = await this.knex<ReleaseRow>('k2_releases')
      .where({ service_ref: service, environment })
      .whereIn('status', DISPATCHED_STATUSES)
      .orderBy('number', 'desc')
      .first();
    return row && toRelease(row);
  }

  async getActive(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined> {
    const row = await this.knex<ReleaseRow>('k2_releases')
      .where({ active_target: activeTarget(service, environment) })
      .first();
    return row && toRelease(row);
  }

  async getCurrent(
    service: string,
    environment: string,
  ): Promise<StoredRelease | undefined> {
    const row = await this.knex<ReleaseRow>('k2_releases')
      .where({ service_ref: service, environment, status: 'succeeded' })
      .orderBy('number', 'desc')
      .first();
    return row && toRelease(row);
  }

  async listRetained(
    service: string,
    succeeded: number,
  ): Promise<StoredRelease[]> {
    const environments = await this.knex<ReleaseRow>('k2_releases')
      .where({ service_ref: service })
      .distinct('environment');
    const [active, ...kept] = await Promise.all([
      this.knex<ReleaseRow>('k2_releases')
        .where({ service_ref: service })
        .whereIn('status', K2_ACTIVE_RELEASE_STATUSES),
      ...environments.map(({ environment }) =>
        this.knex<ReleaseRow>('k2_releases')
          .where({ service_ref: service, environment, status: 'succeeded' })
          .orderBy('number', 'desc')
          .limit(succeeded),
      ),
    ]);
    return [...active, ...kept.flat()]
      .map(toRelease)
      .sort(
        (a, b) =>
          a.environment.localeCompare(b.environment) || b.number - a.number,
      );
  }

  async history(
    query: HistoryQuery,
  ): Promise<{ items: StoredRelease[]; nextCursor?: string; total: number }> {
    const base = this.knex<ReleaseRow>('k2_releases').where({
      service_ref: query.service,
    });
    if (query.environment) base.andWhere({ environment: query.environment });
    const page = base.clone();
    if (query.environment) {
      // One environment: by release number, on the (service, environment, number) index.
      if (query.before !== undefined) {
        page.andWhere('number', '<', numberCursor(query.before));
      }
      page.orderBy('number', 'desc');
    } else {
      if (query.before !== undefined) {
        const { at, id } = timeCursor(query.before);
        page.andWhere(q =>
          q
            .where('created_at', '<', at)
            .orWhere(q2 =>
              q2.where('created_at', '=', at).andWhere('id', '<', id),
            ),
        );
      }
      page.orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    }
    const [rows, [{ count }]] = await Promise.all([
      page.limit(query.limit + 1),
      base.clone().count({ count: '*' }),
    ]);
    const items = (rows as ReleaseRow[]).slice(0, query.limit).map(toRelease);
    const last = items[items.length - 1];
    let nextCursor: string | undefined;
    if (rows.length > query.limit && last) {
      nextCursor = query.environment
        ? String(last.number)
        : `${last.createdAt}|${last.id}`;
    }
    return { items, nextCursor, total: Number(count) };
  }
}
