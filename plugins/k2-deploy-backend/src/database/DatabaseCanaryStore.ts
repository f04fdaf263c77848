import { K2CanaryStatus } from '@internal/plugin-k2-common';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { parseReleaseSpec } from './specs';
import {
  CanaryExpectation,
  CanaryPatch,
  CanaryStore,
  NewCanary,
  StoredCanary,
} from './CanaryStore';
import { isoTimestamp, isUniqueViolation } from '@internal/plugin-k2-node';
import { migrate, PluginDatabase } from './migrations';

type CanaryRow = {
  id: string;
  service_ref: string;
  environment: string;
  namespace: string;
  image: string;
  replicas: number;
  spec: string;
  base_release_id: string;
  base_release_number: number;
  status: string;
  running_target: string | null;
  message: string | null;
  promotion_release_id: string | null;
  promotion_release_number: number | null;
  started_by: string;
  started_at: Date | string;
  ended_by: string | null;
  ended_at: Date | string | null;
};

function toCanary(row: CanaryRow): StoredCanary {
  return {
    id: row.id,
    service: row.service_ref,
    environment: row.environment,
    namespace: row.namespace,
    image: row.image,
    replicas: Number(row.replicas),
    spec: parseReleaseSpec(row.spec),
    baseRelease: {
      id: row.base_release_id,
      number: Number(row.base_release_number),
    },
    status: row.status as K2CanaryStatus,
    message: row.message || undefined,
    promotion:
      row.promotion_release_id === null
        ? undefined
        : {
            releaseId: row.promotion_release_id,
            number: Number(row.promotion_release_number),
          },
    startedBy: row.started_by,
    startedAt: isoTimestamp(row.started_at),
    endedBy: row.ended_by ?? undefined,
    endedAt: isoTimestamp(row.ended_at),
  };
}

const runningTarget = (service: string, environment: string) =>
  `${service}|${environment}`;

/** {@link CanaryStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseCanaryStore implements CanaryStore {
  static async create(options: PluginDatabase): Promise<DatabaseCanaryStore> {
    return new DatabaseCanaryStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async create(
    canary: NewCanary,
  ): Promise<{ created: StoredCanary } | { running: StoredCanary }> {
    const target = runningTarget(canary.service, canary.environment);
    const id = randomUUID();
    const row: CanaryRow = {
      id,
      service_ref: canary.service,
      environment: canary.environment,
      namespace: canary.namespace,
      image: canary.image,
      replicas: canary.replicas,
      spec: JSON.stringify(canary.spec),
      base_release_id: canary.baseRelease.id,
      base_release_number: canary.baseRelease.number,
      status: 'running',
      running_target: target,
      message: null,
      promotion_release_id: null,
      promotion_release_number: null,
      started_by: canary.startedBy,
      started_at: new Date().toISOString(),
      ended_by: null,
      ended_at: null,
    };
    try {
      await this.knex('k2_canaries').insert(row);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const running = await this.knex<CanaryRow>('k2_canaries')
        .where({ running_target: target })
        .first();
      // Ended between the insert and this read: the caller may try again.
      if (!running) throw error;
      return { running: toCanary(running) };
    }
    return { created: (await this.get(id))! };
  }

  async get(id: string): Promise<StoredCanary | undefined> {
    const row = await this.knex<CanaryRow>('k2_canaries').where({ id }).first();
    return row && toCanary(row);
  }

  async getLatest(
    service: string,
    environment: string,
  ): Promise<StoredCanary | undefined> {
    const running = await this.knex<CanaryRow>('k2_canaries')
      .where({ running_target: runningTarget(service, environment) })
      .first();
    if (running) return toCanary(running);
    const newest = await this.knex<CanaryRow>('k2_canaries')
      .where({ service_ref: service, environment })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
    return newest && toCanary(newest);
  }

  async transition(
    id: string,
    expected: CanaryExpectation,
    patch: CanaryPatch,
  ): Promise<StoredCanary | undefined> {
    const update: Partial<CanaryRow> = {};
    if (patch.status) {
      update.status = patch.status;
      if (patch.status !== 'running') update.running_target = null;
    }
    if (patch.message !== undefined) update.message = patch.message;
    if (patch.promotion !== undefined) {
      update.promotion_release_id = patch.promotion?.releaseId ?? null;
      update.promotion_release_number = patch.promotion?.number ?? null;
    }
    if (patch.endedBy !== undefined) update.ended_by = patch.endedBy;
    if (patch.endedAt) update.ended_at = patch.endedAt.toISOString();
    const query = this.knex('k2_canaries').where({
      id,
      status: expected.status,
    });
    if (expected.promotionReleaseId === null) {
      query.whereNull('promotion_release_id');
    } else if (expected.promotionReleaseId !== undefined) {
      query.andWhere({ promotion_release_id: expected.promotionReleaseId });
    }
    const count = await query.update(update);
    return count === 1 ? this.get(id) : undefined;
  }

  async listPromoting(): Promise<StoredCanary[]> {
    const rows = await this.knex<CanaryRow>('k2_canaries')
      .where({ status: 'running' })
      .whereNotNull('promotion_release_id')
      .orderBy('started_at', 'asc');
    return rows.map(toCanary);
  }
}
