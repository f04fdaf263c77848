import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  K2Activity,
  K2ActivityList,
  K2NewActivity,
} from '@internal/plugin-k2-common';
import { Knex } from 'knex';
import { ActivityStore } from './ActivityStore';

const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-backend',
  'migrations',
);

type ActivityRow = {
  id: number | string;
  service_ref: string;
  environment: string | null;
  actor: string;
  action: string;
  summary: string;
  result: string;
  release_id: string | null;
  created_at: Date | string;
};

function toActivity(row: ActivityRow): K2Activity {
  return {
    id: String(row.id),
    service: row.service_ref,
    environment: row.environment ?? undefined,
    actor: row.actor,
    action: row.action,
    summary: row.summary,
    result: row.result as K2Activity['result'],
    releaseId: row.release_id ?? undefined,
    // PostgreSQL returns Dates, SQLite the ISO strings K2 wrote.
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Rows written by one insert statement of a batch. */
const INSERT_CHUNK = 100;

function toRow(entry: K2NewActivity, createdAt: Date) {
  return {
    service_ref: entry.service,
    environment: entry.environment ?? null,
    actor: entry.actor,
    action: entry.action,
    summary: entry.summary,
    result: entry.result,
    release_id: entry.releaseId ?? null,
    created_at: createdAt.toISOString(),
  };
}

/** The activity log on the `k2` plugin's database (SQLite or PostgreSQL). */
export class DatabaseActivityStore implements ActivityStore {
  static async create(options: {
    database: Pick<DatabaseService, 'getClient' | 'migrations'>;
    skipMigrations?: boolean;
  }): Promise<DatabaseActivityStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await knex.migrate.latest({ directory: MIGRATIONS });
    }
    return new DatabaseActivityStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  async add(entry: K2NewActivity): Promise<void> {
    await this.knex('k2_activity').insert(toRow(entry, new Date()));
  }

  async addAll(entries: K2NewActivity[]): Promise<void> {
    const now = new Date();
    // Multi-row inserts of INSERT_CHUNK rows (8 parameters each) stay within SQLite's
    // parameter limit; one transaction keeps the batch whole and ids in entry order.
    await this.knex.transaction(async tx => {
      for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
        await tx('k2_activity').insert(
          entries.slice(i, i + INSERT_CHUNK).map(entry => toRow(entry, now)),
        );
      }
    });
  }

  async list(
    service: string,
    options: { limit: number; before?: string },
  ): Promise<K2ActivityList> {
    const query = this.knex<ActivityRow>('k2_activity')
      .where({ service_ref: service })
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.before !== undefined) {
      const before = Number(options.before);
      if (!Number.isSafeInteger(before) || before < 1) {
        throw new InputError("'before' is not a cursor from a previous page");
      }
      query.andWhere('id', '<', before);
    }
    const rows = await query;
    const items = rows.slice(0, options.limit).map(toActivity);
    return {
      items,
      nextCursor:
        rows.length > options.limit ? items[items.length - 1].id : undefined,
    };
  }
}
