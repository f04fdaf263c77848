import { AlertSeverity } from '@internal/plugin-k2-alerts-common';
import { Knex } from 'knex';
import { migrate, PluginDatabase } from '../database/migrations';

const INCIDENTS = 'k2_alert_incidents';

/** The most rules the noisiest list holds. */
export const NOISIEST_RULES = 10;

export type DurationFigures = {
  count: number;
  mean?: number;
  median?: number;
};

/** Incident figures of some services since a moment, as the database counts them. */
export type IncidentFigures = {
  daily: { day: string; severity: AlertSeverity; count: number }[];
  noisiestRules: {
    entityRef: string;
    ruleKey: string;
    title: string;
    incidents: number;
    alerts: number;
  }[];
  resolveSeconds: DurationFigures;
  /** Undefined while incidents have no acknowledgement column. */
  acknowledgeSeconds?: DurationFigures;
  unacknowledged: { incidents: number; alerts: number };
};

/**
 * Aggregations over the incidents table, each one statement answered by the database
 * (no incident rows are read into the backend; a median reads one or two values).
 * Time to acknowledge is counted only once the incidents have `acknowledged_at`
 * (migration 20261203); before that every incident counts as unacknowledged.
 */
export class DatabaseStatsStore {
  readonly #knex: Knex;
  readonly #pg: boolean;
  #acknowledgements?: Promise<boolean>;

  static async create(options: PluginDatabase): Promise<DatabaseStatsStore> {
    return new DatabaseStatsStore(await migrate(options));
  }

  private constructor(knex: Knex) {
    this.#knex = knex;
    this.#pg = knex.client.config.client === 'pg';
  }

  /**
   * The figures of incidents opened at or after `from` (ISO) of the services (their
   * lowercased refs), with days in UTC.
   */
  async figures(entityRefs: string[], from: string): Promise<IncidentFigures> {
    const acknowledged = await this.#hasAcknowledgements();
    if (entityRefs.length === 0) {
      return {
        daily: [],
        noisiestRules: [],
        resolveSeconds: { count: 0 },
        ...(acknowledged ? { acknowledgeSeconds: { count: 0 } } : {}),
        unacknowledged: { incidents: 0, alerts: 0 },
      };
    }
    const scope = (): Knex.QueryBuilder<any, any> =>
      this.#knex(INCIDENTS)
        .whereIn('entity_ref', entityRefs)
        .where('opened_at', '>=', from);
    // Timestamps are ISO strings in SQLite and timestamptz in PostgreSQL.
    const day = this.#pg
      ? this.#knex.raw(`to_char(opened_at at time zone 'UTC', 'YYYY-MM-DD')`)
      : this.#knex.raw('substr(opened_at, 1, 10)');
    const daily: { day: string; severity: string; count: number | string }[] =
      await scope()
        .select({ day, severity: 'severity' })
        .count({ count: '*' })
        .groupBy('day', 'severity')
        .orderBy('day');

    const noisy: {
      entity_ref: string;
      rule_key: string;
      incidents: number | string;
      alerts: number | string | null;
      latest: number | string;
    }[] = await scope()
      .select('entity_ref', 'rule_key')
      .count({ incidents: '*' })
      .sum({ alerts: 'alert_count' })
      .max({ latest: 'id' })
      .groupBy('entity_ref', 'rule_key')
      .orderBy([
        { column: 'incidents', order: 'desc' },
        { column: 'alerts', order: 'desc' },
        { column: 'rule_key', order: 'asc' },
      ])
      .limit(NOISIEST_RULES);
    const titles = new Map<string, string>(
      (
        await this.#knex(INCIDENTS)
          .select('id', 'title')
          .whereIn(
            'id',
            noisy.map(n => Number(n.latest)),
          )
      ).map(row => [String(row.id), row.title]),
    );

    const unacknowledged = (await scope()
      .modify(q => {
        if (acknowledged) q.whereNull('acknowledged_at');
      })
      .count({ incidents: '*' })
      .sum({ alerts: 'alert_count' })
      .first()) as
      | { incidents: number | string; alerts: number | string | null }
      | undefined;

    return {
      daily: daily.map(row => ({
        day: String(row.day),
        severity: row.severity as AlertSeverity,
        count: Number(row.count),
      })),
      noisiestRules: noisy.map(row => ({
        entityRef: row.entity_ref,
        ruleKey: row.rule_key,
        title: titles.get(String(row.latest)) ?? row.rule_key,
        incidents: Number(row.incidents),
        alerts: Number(row.alerts ?? 0),
      })),
      resolveSeconds: await this.#durations(scope, 'resolved_at'),
      ...(acknowledged
        ? {
            acknowledgeSeconds: await this.#durations(scope, 'acknowledged_at'),
          }
        : {}),
      unacknowledged: {
        incidents: Number(unacknowledged?.incidents ?? 0),
        alerts: Number(unacknowledged?.alerts ?? 0),
      },
    };
  }

  /** Mean and median seconds from `opened_at` to `column`, where it is set. */
  async #durations(
    scope: () => Knex.QueryBuilder<any, any>,
    column: 'resolved_at' | 'acknowledged_at',
  ): Promise<DurationFigures> {
    const seconds = this.#pg
      ? this.#knex.raw(`extract(epoch from (?? - opened_at))`, [column])
      : this.#knex.raw(`(julianday(??) - julianday(opened_at)) * 86400`, [
          column,
        ]);
    const measured = () => scope().whereNotNull(column);
    const totals:
      | { count: number | string; mean: number | string }
      | undefined = await measured()
      .count({ count: '*' })
      .select(this.#knex.raw(`avg(${seconds.toQuery()}) as mean`))
      .first();
    const count = Number(totals?.count ?? 0);
    if (count === 0) return { count };
    // The median: the middle value, or the mean of the middle two.
    const middle: { seconds: number | string }[] = await measured()
      .select({ seconds })
      .orderByRaw(`${seconds.toQuery()} asc`)
      .offset(Math.floor((count - 1) / 2))
      .limit(count % 2 === 0 ? 2 : 1);
    const values = middle.map(row => Number(row.seconds));
    return {
      count,
      mean: round(Number(totals!.mean)),
      median: round(values.reduce((a, b) => a + b, 0) / values.length),
    };
  }

  #hasAcknowledgements() {
    this.#acknowledgements ??= this.#knex.schema.hasColumn(
      INCIDENTS,
      'acknowledged_at',
    );
    return this.#acknowledgements;
  }
}

function round(seconds: number) {
  return Math.round(seconds * 10) / 10;
}
