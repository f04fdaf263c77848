import { ConflictError, InputError } from '@backstage/errors';
import { AlertSeverity } from '@internal/plugin-k2-alerts-common';
import { isoTimestamp } from '@internal/plugin-k2-node';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import { migrate, PluginDatabase } from '../database/migrations';
import {
  AlertChange,
  AlertHistoryEntry,
  AlertSource,
  AlertStatus,
  ChangeSource,
  HistoryFilter,
  IncidentStatus,
  Incident,
  IncidentFilter,
  IncidentStore,
  IncomingAlert,
  Page,
  RecordResult,
  StoredAlert,
} from './IncidentStore';

const INCIDENTS = 'k2_alert_incidents';
const ALERTS = 'k2_alerts';
const EVENTS = 'k2_alert_events';

/**
 * Rows per insert: knex writes a multi-row insert on SQLite as a compound SELECT,
 * which SQLite allows up to 500 terms; 16 values a row also stays under both
 * engines' bound-variable limits.
 */
const INSERT_CHUNK = 400;
/** Values per `IN (...)` list, for the same reason. */
const LOOKUP_CHUNK = 500;
/** PostgreSQL's error code for a transaction it failed to break a lock cycle. */
const PG_DEADLOCK = '40P01';

type Timestamp = Date | string;

interface IncidentRow {
  id: number | string;
  entity_ref: string;
  environment: string;
  rule_key: string;
  title: string;
  severity: string;
  status: string;
  source: string;
  open_key: string | null;
  opened_by: string;
  opened_at: Timestamp;
  resolved_at: Timestamp | null;
  acknowledged_at?: Timestamp | null;
  acknowledged_by?: string | null;
  resolved_by?: string | null;
  last_change_at: Timestamp;
  firing_count: number | string;
  alert_count: number | string;
}

interface AlertRow {
  id: number | string;
  fingerprint: string;
  starts_at: string;
  status: string;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  labels: string;
  annotations: string;
  entity_ref: string;
  environment: string;
  rule_key: string;
  cluster: string | null;
  severity: string;
  source: string;
  incident_id: number | string;
  delivery: string;
}

const keyOf = (a: { fingerprint: string; startsAt: string }) =>
  `${a.fingerprint}\u0000${a.startsAt}`;
const groupOf = (
  a: Pick<IncomingAlert, 'entityRef' | 'environment' | 'ruleKey'>,
) => `${a.entityRef}|${a.environment}|${a.ruleKey}`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/** A time as delivered, normalised; the delivery time when it is not a time. */
function iso(value: string | undefined, fallback: string): string {
  const ms = value ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? fallback : new Date(ms).toISOString();
}

function incidentView(row: IncidentRow): Incident {
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    environment: row.environment,
    ruleKey: row.rule_key,
    title: row.title,
    severity: row.severity as AlertSeverity,
    status: row.status as IncidentStatus,
    source: row.source as AlertSource,
    openedAt: isoTimestamp(row.opened_at),
    resolvedAt: isoTimestamp(row.resolved_at),
    acknowledgedAt: isoTimestamp(row.acknowledged_at ?? null),
    acknowledgedBy: row.acknowledged_by ?? undefined,
    resolvedBy: row.resolved_by ?? undefined,
    firingCount: Number(row.firing_count),
    alertCount: Number(row.alert_count),
    lastChangeAt: isoTimestamp(row.last_change_at),
  };
}

/**
 * An incident's title: its rule's, the same for every alert of the group. That is the
 * alerts' `alertname` (a rule's name, a signal's or a cluster check's name), else the
 * rule key; never an alert's own summary, which names its pod.
 */
function incidentTitle(alert: IncomingAlert): string {
  const name = alert.labels.alertname?.trim();
  return (name || alert.ruleKey).slice(0, 500);
}

/** One alert's words in the history: its `summary`, else its incident's title. */
function alertSummary(alert: IncomingAlert): string {
  const summary = alert.annotations.summary?.trim();
  return summary ? summary.slice(0, 500) : incidentTitle(alert);
}

/** Pages are read by (time, id), newest first; the cursor is the last one read. */
function encodeCursor(at: Timestamp, id: number | string): string {
  return Buffer.from(`${isoTimestamp(at)}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: number } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || Number.isNaN(Date.parse(at)) || !/^\d+$/.test(id ?? '')) {
    throw new InputError('The cursor is not one this API gave out');
  }
  return { at: new Date(at).toISOString(), id: Number(id) };
}

/** {@link IncidentStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseIncidentStore implements IncidentStore {
  readonly #knex: Knex;
  readonly #locks: boolean;

  static async create(options: PluginDatabase): Promise<DatabaseIncidentStore> {
    return new DatabaseIncidentStore(await migrate(options));
  }

  private constructor(knex: Knex) {
    this.#knex = knex;
    // SQLite runs one transaction at a time: there is nothing to lock.
    this.#locks = knex.client.config.client === 'pg';
  }

  async record(
    incoming: IncomingAlert[],
    source: ChangeSource,
  ): Promise<RecordResult> {
    // One state per alert instance: a resolved copy beats a firing one.
    const byKey = new Map<string, IncomingAlert>();
    for (const alert of incoming) {
      const key = keyOf(alert);
      const known = byKey.get(key);
      if (!known || alert.status === 'resolved') byKey.set(key, alert);
    }
    const alerts = [...byKey.values()];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#knex.transaction(trx =>
          this.#recordIn(trx, alerts, source),
        );
      } catch (error) {
        // PostgreSQL breaks a lock cycle between concurrent deliveries by failing one
        // of them; it wrote nothing, so it is run again (its locks are taken in key
        // order, which makes a cycle rare: it needs a third delivery in between).
        if ((error as { code?: string }).code !== PG_DEADLOCK || attempt >= 3) {
          throw error;
        }
      }
    }
  }

  /** {@link DatabaseIncidentStore.record} in its transaction: a set of statements per delivery, not per alert or group. */
  async #recordIn(
    trx: Knex.Transaction,
    alerts: IncomingAlert[],
    source: ChangeSource,
  ): Promise<RecordResult> {
    const delivery = randomUUID();
    const now = new Date().toISOString();
    const times = new Map<string, string>();
    const at = (value: string | undefined) => {
      const key = value ?? '';
      let found = times.get(key);
      if (found === undefined) {
        found = iso(value, now);
        times.set(key, found);
      }
      return found;
    };

    const existing = await this.#alertsByKey(trx, alerts);
    const fresh = alerts.filter(a => !existing.has(keyOf(a)));

    // Incidents of the groups of alerts first seen: the open one, or a new one.
    const groups = new Map<
      string,
      { first: IncomingAlert; firing?: IncomingAlert }
    >();
    for (const alert of fresh) {
      const key = groupOf(alert);
      const group = groups.get(key);
      if (!group) groups.set(key, { first: alert });
      const entry = group ?? groups.get(key)!;
      if (!entry.firing && alert.status === 'firing') entry.firing = alert;
    }
    const incidentOfGroup = await this.#openIncidents(
      trx,
      groups,
      delivery,
      now,
      at,
    );

    // Alerts first seen; another delivery may store the same ones at this moment,
    // and the unique key decides: the rows this delivery wrote carry its id.
    for (const chunk of chunks(fresh, INSERT_CHUNK)) {
      await trx(ALERTS)
        .insert(
          chunk.map(a => ({
            fingerprint: a.fingerprint,
            starts_at: a.startsAt,
            status: a.status,
            started_at: at(a.startsAt),
            ended_at: a.status === 'resolved' ? at(a.endsAt) : null,
            labels: JSON.stringify(a.labels),
            annotations: JSON.stringify(a.annotations),
            entity_ref: a.entityRef,
            environment: a.environment,
            rule_key: a.ruleKey,
            cluster: a.cluster ?? null,
            severity: a.severity,
            source: a.source,
            incident_id: incidentOfGroup.get(groupOf(a))!,
            delivery,
          })),
        )
        .onConflict(['fingerprint', 'starts_at'])
        .ignore();
    }
    const stored = fresh.length
      ? await this.#alertsByKey(trx, fresh)
      : new Map<string, AlertRow>();
    const events: Array<Record<string, unknown>> = [];
    const touched = new Set<number>();
    let recorded = 0;
    const changes: Array<{ alert: IncomingAlert; row: AlertRow }> = [];
    for (const alert of fresh) {
      const row = stored.get(keyOf(alert))!;
      if (row.delivery === delivery) {
        recorded += 1;
        touched.add(Number(row.incident_id));
        events.push(eventRow(row, alert, alert.status, source, at));
      } else {
        changes.push({ alert, row });
      }
    }
    for (const alert of alerts) {
      const row = existing.get(keyOf(alert));
      if (row) changes.push({ alert, row });
    }

    // Firing alerts that resolved: compare-and-set, so one delivery records it.
    let duplicates = 0;
    for (const { alert, row } of changes) {
      if (alert.status !== 'resolved' || row.status !== 'firing') {
        duplicates += 1;
        continue;
      }
      const changed = await trx(ALERTS)
        .where({ id: row.id, status: 'firing' })
        .update({ status: 'resolved', ended_at: at(alert.endsAt), delivery });
      if (changed === 0) {
        duplicates += 1;
        continue;
      }
      recorded += 1;
      touched.add(Number(row.incident_id));
      events.push(eventRow(row, alert, 'resolved', source, at));
    }
    for (const chunk of chunks(events, INSERT_CHUNK)) {
      await trx(EVENTS)
        .insert(chunk)
        .onConflict(['alert_id', 'status'])
        .ignore();
    }

    const { opened, resolved } = await this.#settle(
      trx,
      [...touched],
      delivery,
      now,
    );
    return { recorded, duplicates, opened, resolved };
  }

  /** Rows of the alerts with these keys, by key. */
  async #alertsByKey(
    trx: Knex.Transaction,
    alerts: Array<{ fingerprint: string; startsAt: string }>,
  ): Promise<Map<string, AlertRow>> {
    const wanted = new Set(alerts.map(keyOf));
    const fingerprints = [...new Set(alerts.map(a => a.fingerprint))];
    const rows = new Map<string, AlertRow>();
    for (const chunk of chunks(fingerprints, LOOKUP_CHUNK)) {
      const found: AlertRow[] = await trx(ALERTS)
        .whereIn('fingerprint', chunk)
        .select(
          'id',
          'fingerprint',
          'starts_at',
          'status',
          'incident_id',
          'delivery',
        );
      for (const row of found) {
        const key = keyOf({
          fingerprint: row.fingerprint,
          startsAt: row.starts_at,
        });
        if (wanted.has(key)) rows.set(key, row);
      }
    }
    return rows;
  }

  /**
   * The id of each group's open incident, opened by this delivery when there is none
   * and one of the group's alerts fires; when none fires, the open one if any, else a
   * new incident that is resolved from the start (an alert whose firing K2 never
   * received). A few statements for all groups of a delivery, whatever their number.
   *
   * The unique `open_key` makes two deliveries agree on one open incident: a delivery
   * inserts what it found missing, the unique key keeps one of two concurrent inserts,
   * and the delivery reads again what it did not insert. On PostgreSQL the rows stay
   * locked to the end of the transaction, taken in key order, so a concurrent delivery
   * cannot resolve an incident while this one adds a firing alert to it.
   */
  async #openIncidents(
    trx: Knex.Transaction,
    groups: Map<string, { first: IncomingAlert; firing?: IncomingAlert }>,
    delivery: string,
    now: string,
    at: (value: string | undefined) => string,
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const row = (alert: IncomingAlert) => ({
      entity_ref: alert.entityRef,
      environment: alert.environment,
      rule_key: alert.ruleKey,
      title: incidentTitle(alert),
      severity: alert.severity,
      source: alert.source,
      opened_by: delivery,
      opened_at: at(alert.startsAt),
      last_change_at: now,
    });
    let missing = [...groups.keys()].sort();
    for (;;) {
      for (const chunk of chunks(missing, LOOKUP_CHUNK)) {
        const query = trx<IncidentRow>(INCIDENTS)
          .whereIn('open_key', chunk)
          .orderBy('open_key')
          .select('id', 'open_key');
        const open = await (this.#locks ? query.forUpdate() : query);
        for (const { id, open_key } of open) ids.set(open_key!, Number(id));
      }
      missing = missing.filter(key => !ids.has(key));
      const firing = missing.filter(key => groups.get(key)!.firing);
      // Nothing fires in the rest: each gets an incident resolved from the start.
      for (const key of missing.filter(k => !groups.get(k)!.firing)) {
        const { first } = groups.get(key)!;
        const [inserted] = await trx(INCIDENTS)
          .insert({
            ...row(first),
            status: 'resolved',
            open_key: null,
            resolved_at: at(first.endsAt),
          })
          .returning('id');
        ids.set(
          key,
          Number(typeof inserted === 'object' ? inserted.id : inserted),
        );
      }
      if (!firing.length) return ids;
      for (const chunk of chunks(firing, INSERT_CHUNK)) {
        await trx(INCIDENTS)
          .insert(
            chunk.map(key => ({
              ...row(groups.get(key)!.firing!),
              status: 'open',
              open_key: key,
            })),
          )
          .onConflict(['open_key'])
          .ignore();
      }
      // Read again: those inserted, and those another delivery opened meanwhile.
      missing = firing;
    }
  }

  /**
   * Counts the alerts of the incidents a delivery changed and resolves those in which
   * none fires any more; reports those it opened and resolved. Incidents that end up
   * with the same figures are written by one statement.
   */
  async #settle(
    trx: Knex.Transaction,
    ids: number[],
    delivery: string,
    now: string,
  ): Promise<{ opened: Incident[]; resolved: Incident[] }> {
    const opened: Incident[] = [];
    const resolved: Incident[] = [];
    ids.sort((a, b) => a - b);
    for (const chunk of chunks(ids, LOOKUP_CHUNK)) {
      const query = trx<IncidentRow>(INCIDENTS)
        .whereIn('id', chunk)
        .orderBy('id')
        .select('*');
      const current = new Map<number, IncidentRow>();
      for (const row of await (this.#locks ? query.forUpdate() : query)) {
        current.set(Number(row.id), row);
      }
      const counts: Array<{
        incident_id: number | string;
        alerts: number | string;
        firing: number | string;
        ended: Timestamp | null;
      }> = await trx(ALERTS)
        .whereIn('incident_id', chunk)
        .groupBy('incident_id')
        .select(
          'incident_id',
          trx.raw('count(*) as alerts'),
          trx.raw(
            "sum(case when status = 'firing' then 1 else 0 end) as firing",
          ),
          trx.raw('max(ended_at) as ended'),
        );
      const updates = new Map<
        string,
        { update: Record<string, unknown>; ids: number[] }
      >();
      for (const count of counts) {
        const firing = Number(count.firing);
        const id = Number(count.incident_id);
        const row = current.get(id);
        if (!row) continue;
        const update: Record<string, unknown> = {
          firing_count: firing,
          alert_count: Number(count.alerts),
          last_change_at: now,
        };
        let event: 'opened' | 'resolved' | undefined;
        if (firing === 0 && row.status === 'open') {
          Object.assign(update, {
            status: 'resolved',
            open_key: null,
            resolved_at: count.ended ? isoTimestamp(count.ended) : now,
          });
          event = 'resolved';
        } else if (row.status === 'open' && row.opened_by === delivery) {
          event = 'opened';
        }
        const same = JSON.stringify(update);
        const batch = updates.get(same) ?? { update, ids: [] };
        batch.ids.push(id);
        updates.set(same, batch);
        const view = incidentView({ ...row, ...update } as IncidentRow);
        if (event === 'resolved') resolved.push(view);
        if (event === 'opened') opened.push(view);
      }
      for (const { update, ids: same } of updates.values()) {
        await trx(INCIDENTS).whereIn('id', same).update(update);
      }
    }
    return { opened, resolved };
  }

  async listIncidents(filter: IncidentFilter): Promise<Page<Incident>> {
    if (filter.entityRefs.length === 0) return { items: [] };
    const query = this.#knex<IncidentRow>(INCIDENTS).whereIn(
      'entity_ref',
      filter.entityRefs,
    );
    if (filter.status) query.where('status', filter.status);
    if (filter.environment) query.where('environment', filter.environment);
    if (filter.severity) query.where('severity', filter.severity);
    if (filter.cursor) {
      const { at, id } = decodeCursor(filter.cursor);
      query.where(q =>
        q
          .where('opened_at', '<', at)
          .orWhere(q2 => q2.where('opened_at', '=', at).where('id', '<', id)),
      );
    }
    const rows = await query
      .orderBy([
        { column: 'opened_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit + 1);
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(incidentView),
      nextCursor:
        rows.length > filter.limit && last
          ? encodeCursor(last.opened_at, last.id)
          : undefined,
    };
  }

  async getIncident(
    id: string,
  ): Promise<{ incident: Incident; alerts: StoredAlert[] } | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = await this.#knex<IncidentRow>(INCIDENTS)
      .where({ id: Number(id) })
      .first();
    if (!row) return undefined;
    const alerts: AlertRow[] = await this.#knex(ALERTS)
      .where({ incident_id: row.id })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    const events: Array<{
      alert_id: number | string;
      status: string;
      at: Timestamp;
      source: string;
    }> = alerts.length
      ? await this.#knex(EVENTS)
          .where({ incident_id: row.id })
          .orderBy([
            { column: 'at', order: 'asc' },
            { column: 'id', order: 'asc' },
          ])
          .select('alert_id', 'status', 'at', 'source')
      : [];
    const byAlert = new Map<string, AlertChange[]>();
    for (const event of events) {
      const list = byAlert.get(String(event.alert_id)) ?? [];
      list.push({
        status: event.status as AlertStatus,
        at: isoTimestamp(event.at),
        source: event.source as ChangeSource,
      });
      byAlert.set(String(event.alert_id), list);
    }
    return {
      incident: incidentView(row),
      alerts: alerts.map(a => ({
        id: String(a.id),
        fingerprint: a.fingerprint,
        labels: JSON.parse(a.labels),
        annotations: JSON.parse(a.annotations),
        status: a.status as AlertStatus,
        startsAt: isoTimestamp(a.started_at),
        endsAt: isoTimestamp(a.ended_at),
        cluster: a.cluster ?? undefined,
        events: byAlert.get(String(a.id)) ?? [],
      })),
    };
  }

  async listHistory(filter: HistoryFilter): Promise<Page<AlertHistoryEntry>> {
    const query = this.#knex(`${EVENTS} as e`)
      .join(`${ALERTS} as a`, 'a.id', 'e.alert_id')
      .where('e.entity_ref', filter.entityRef);
    if (filter.environment) query.where('e.environment', filter.environment);
    if (filter.status) query.where('e.status', filter.status);
    if (filter.severity) query.where('e.severity', filter.severity);
    if (filter.rule) query.where('e.rule_key', filter.rule);
    // Times compare as K2 writes them (SQLite compares text).
    if (filter.from) query.where('e.at', '>=', iso(filter.from, filter.from));
    if (filter.to) query.where('e.at', '<', iso(filter.to, filter.to));
    if (filter.cursor) {
      const { at, id } = decodeCursor(filter.cursor);
      query.where(q =>
        q
          .where('e.at', '<', at)
          .orWhere(q2 => q2.where('e.at', '=', at).where('e.id', '<', id)),
      );
    }
    const rows: Array<{
      id: number | string;
      alert_id: number | string;
      incident_id: number | string;
      status: string;
      at: Timestamp;
      summary: string;
      labels: string;
    }> = await query
      .orderBy([
        { column: 'e.at', order: 'desc' },
        { column: 'e.id', order: 'desc' },
      ])
      .limit(filter.limit + 1)
      .select(
        'e.id',
        'e.alert_id',
        'e.incident_id',
        'e.status',
        'e.at',
        'e.summary',
        'a.labels',
      );
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(r => ({
        alertId: String(r.alert_id),
        incidentId: String(r.incident_id),
        status: r.status as AlertStatus,
        at: isoTimestamp(r.at),
        labels: JSON.parse(r.labels),
        summary: r.summary,
      })),
      nextCursor:
        rows.length > filter.limit && last
          ? encodeCursor(last.at, last.id)
          : undefined,
    };
  }

  async acknowledge(id: string, by: string): Promise<Incident | undefined> {
    const now = new Date().toISOString();
    // Compare-and-set: only an open, unacknowledged incident changes.
    await this.#knex(INCIDENTS)
      .where({ id: Number(id), status: 'open' })
      .whereNull('acknowledged_at')
      .update({
        acknowledged_at: now,
        acknowledged_by: by,
        escalate_at: null,
        last_change_at: now,
      });
    const row = await this.#knex<IncidentRow>(INCIDENTS)
      .where({ id: Number(id) })
      .first();
    if (!row) return undefined;
    if (row.status !== 'open') {
      throw new ConflictError(`Incident ${id} is resolved`);
    }
    return incidentView(row);
  }

  async resolve(id: string, by: string): Promise<Incident | undefined> {
    const now = new Date().toISOString();
    const changed = await this.#knex(INCIDENTS)
      .where({ id: Number(id), status: 'open' })
      .update({
        status: 'resolved',
        open_key: null,
        resolved_at: now,
        resolved_by: by,
        escalate_at: null,
        last_change_at: now,
      });
    const row = await this.#knex<IncidentRow>(INCIDENTS)
      .where({ id: Number(id) })
      .first();
    if (!row) return undefined;
    if (!changed) throw new ConflictError(`Incident ${id} is resolved already`);
    return incidentView(row);
  }

  async firing(
    source: AlertSource,
  ): Promise<Array<IncomingAlert & { id: string }>> {
    const rows: AlertRow[] = await this.#knex(ALERTS).where({
      source,
      status: 'firing',
    });
    return rows.map(r => ({
      id: String(r.id),
      fingerprint: r.fingerprint,
      startsAt: r.starts_at,
      status: 'firing',
      labels: JSON.parse(r.labels),
      annotations: JSON.parse(r.annotations),
      entityRef: r.entity_ref,
      environment: r.environment,
      ruleKey: r.rule_key,
      cluster: r.cluster ?? undefined,
      severity: r.severity as AlertSeverity,
      source: r.source as AlertSource,
    }));
  }
}

/** The history row of one state change of one alert. */
function eventRow(
  row: Pick<AlertRow, 'id' | 'incident_id'>,
  alert: IncomingAlert,
  status: AlertStatus,
  source: ChangeSource,
  at: (value: string | undefined) => string,
): Record<string, unknown> {
  return {
    alert_id: row.id,
    incident_id: row.incident_id,
    entity_ref: alert.entityRef,
    environment: alert.environment,
    rule_key: alert.ruleKey,
    severity: alert.severity,
    status,
    at: at(status === 'firing' ? alert.startsAt : alert.endsAt),
    source,
    summary: alertSummary(alert),
  };
}
