import { K2HistoricalContainer } from '@internal/plugin-k2-common';
import { Knex } from 'knex';
import { timeCursor } from './cursors';
import { isoTimestamp } from '@internal/plugin-k2-node';
import { migrate, PluginDatabase } from './migrations';
import {
  EndedContainer,
  InstanceHistoryQuery,
  InstanceStore,
} from './InstanceStore';

type HistoryRow = {
  id: string;
  service_id: string;
  environment: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  node: string | null;
  ip: string | null;
  image: string | null;
  release_number: number | null;
  run: number;
  started_at: Date | string | null;
  ended_at: Date | string;
  end_reason: string;
  message: string;
  exit_code: number | null;
  actor: string | null;
  events: string;
};

function toRow(run: EndedContainer): HistoryRow {
  return {
    id: run.id,
    service_id: run.serviceId,
    environment: run.environment,
    cluster: run.cluster,
    namespace: run.namespace,
    pod: run.pod,
    container: run.container,
    node: run.node ?? null,
    ip: run.ip ?? null,
    image: run.image ?? null,
    release_number: run.release ?? null,
    run: run.run,
    started_at: run.startedAt ? new Date(run.startedAt).toISOString() : null,
    ended_at: new Date(run.endedAt).toISOString(),
    end_reason: run.end,
    message: run.message,
    exit_code: run.exitCode ?? null,
    actor: run.actor ?? null,
    events: JSON.stringify(run.events),
  };
}

function fromRow(row: HistoryRow): K2HistoricalContainer {
  return {
    id: row.id,
    environment: row.environment,
    cluster: row.cluster,
    namespace: row.namespace,
    pod: row.pod,
    container: row.container,
    node: row.node ?? undefined,
    ip: row.ip ?? undefined,
    image: row.image ?? undefined,
    release: row.release_number ?? undefined,
    run: Number(row.run),
    startedAt: isoTimestamp(row.started_at),
    endedAt: isoTimestamp(row.ended_at),
    end: row.end_reason as K2HistoricalContainer['end'],
    message: row.message,
    exitCode: row.exit_code ?? undefined,
    actor: row.actor ?? undefined,
    events: JSON.parse(row.events),
  };
}

/** {@link InstanceStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseInstanceStore implements InstanceStore {
  static async create(options: PluginDatabase): Promise<DatabaseInstanceStore> {
    return new DatabaseInstanceStore(await migrate(options));
  }

  private constructor(private readonly knex: Knex) {}

  async record(runs: EndedContainer[]): Promise<void> {
    if (runs.length === 0) return;
    // Small chunks keep SQLite under its bound-variable limit.
    for (let i = 0; i < runs.length; i += 50) {
      await this.knex('k2_instance_history')
        .insert(runs.slice(i, i + 50).map(toRow))
        .onConflict('id')
        .ignore();
    }
  }

  async list(
    query: InstanceHistoryQuery,
  ): Promise<{ items: K2HistoricalContainer[]; nextCursor?: string }> {
    // A malformed cursor is refused even when there is nothing to page through.
    const cursor =
      query.before === undefined ? undefined : timeCursor(query.before);
    const page = this.knex<HistoryRow>('k2_instance_history')
      .where('service_id', query.serviceId)
      .andWhere(q => {
        for (const t of query.targets) {
          q.orWhere(q2 =>
            q2.where({ environment: t.environment, namespace: t.namespace }),
          );
        }
      });
    if (query.targets.length === 0) return { items: [] };
    if (query.cluster) page.andWhere('cluster', query.cluster);
    if (cursor) {
      const { at, id } = cursor;
      page.andWhere(q =>
        q
          .where('ended_at', '<', at)
          .orWhere(q2 => q2.where('ended_at', '=', at).andWhere('id', '<', id)),
      );
    }
    const rows = (await page
      .orderBy([
        { column: 'ended_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit + 1)) as HistoryRow[];
    const items = rows.slice(0, query.limit).map(fromRow);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > query.limit && last
          ? `${last.endedAt}|${last.id}`
          : undefined,
    };
  }

  async deleteEndedBefore(date: Date): Promise<number> {
    return this.knex('k2_instance_history')
      .where('ended_at', '<', date.toISOString())
      .delete();
  }
}
