import { Knex } from 'knex';

const INCIDENTS = 'k2_alert_incidents';
const MARKS = 'k2_alert_notify_marks';

/** Incidents per `IN (...)` list (under both engines' bound-variable limits). */
const ARM_CHUNK = 500;

/** Incidents a tick handles at most (the rest wait for the next tick). */
export const TICK_BATCH = 200;

/**
 * Where each open incident's escalation stands, on the incident rows: the level last
 * notified and when the next is due. Acknowledging or resolving an incident clears
 * `escalate_at` (see the incident store), which is what stops its escalation.
 */
export class EscalationStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Sets an open, unacknowledged incident's level and when the next one is due. */
  async arm(id: string, level: number, next: Date | undefined) {
    await this.#knex(INCIDENTS)
      .where({ id: Number(id), status: 'open' })
      .whereNull('acknowledged_at')
      .update({
        escalation_level: level,
        escalate_at: next ? next.toISOString() : null,
      });
  }

  /**
   * {@link EscalationStore.arm} for several incidents, in one transaction (`trx` when
   * given: the caller's, committed with what else it holds); incidents armed alike
   * (the same level and next time, as a delivery's incidents of one team are) are
   * written by one statement.
   */
  async armAll(
    items: Array<{ id: string; level: number; next: Date | undefined }>,
    trx?: Knex.Transaction,
  ) {
    if (!items.length) return;
    const alike = new Map<
      string,
      { level: number; next: string | null; ids: number[] }
    >();
    for (const { id, level, next } of items) {
      const at = next ? next.toISOString() : null;
      const key = `${level}|${at}`;
      const batch = alike.get(key) ?? { level, next: at, ids: [] };
      batch.ids.push(Number(id));
      alike.set(key, batch);
    }
    const write = async (db: Knex.Transaction) => {
      for (const { level, next, ids } of alike.values()) {
        for (let i = 0; i < ids.length; i += ARM_CHUNK) {
          await db(INCIDENTS)
            .whereIn('id', ids.slice(i, i + ARM_CHUNK))
            .where({ status: 'open' })
            .whereNull('acknowledged_at')
            .update({ escalation_level: level, escalate_at: next });
        }
      }
    };
    await (trx ? write(trx) : this.#knex.transaction(write));
  }

  /** Open, unacknowledged incidents whose next level is due, earliest first. */
  async due(now: Date): Promise<Array<{ id: string; level: number }>> {
    const rows = await this.#knex(INCIDENTS)
      .where('escalate_at', '<=', now.toISOString())
      .where({ status: 'open' })
      .whereNull('acknowledged_at')
      .orderBy('escalate_at')
      .limit(TICK_BATCH)
      .select('id', 'escalation_level');
    return rows.map(r => ({
      id: String(r.id),
      level: Number(r.escalation_level),
    }));
  }

  /**
   * Moves an incident from `from` to `to` unless something else moved, acknowledged or
   * resolved it first (compare-and-set: of two replicas, one escalates).
   */
  async advance(id: string, from: number, to: number, next: Date | undefined) {
    const changed = await this.#knex(INCIDENTS)
      .where({ id: Number(id), status: 'open', escalation_level: from })
      .whereNull('acknowledged_at')
      .whereNotNull('escalate_at')
      .update({
        escalation_level: to,
        escalate_at: next ? next.toISOString() : null,
      });
    return changed > 0;
  }

  /**
   * Open, unacknowledged incidents whose group was last notified a repeat interval
   * ago or longer: their reminders are due.
   */
  async repeatsDue(
    now: Date,
    intervalMs: number,
  ): Promise<Array<{ id: string; level: number }>> {
    const rows = await this.#knex(`${INCIDENTS} as i`)
      .join(`${MARKS} as m`, join =>
        join.on(
          'm.group_key',
          '=',
          this.#knex.raw(
            "i.entity_ref || '|' || i.environment || '|' || i.rule_key",
          ),
        ),
      )
      .where('i.status', 'open')
      .whereNull('i.acknowledged_at')
      .where(
        'm.sent_at',
        '<=',
        new Date(now.getTime() - intervalMs).toISOString(),
      )
      .orderBy('m.sent_at')
      .limit(TICK_BATCH)
      .select('i.id', 'i.escalation_level');
    return rows.map(r => ({
      id: String(r.id),
      level: Number(r.escalation_level),
    }));
  }
}
