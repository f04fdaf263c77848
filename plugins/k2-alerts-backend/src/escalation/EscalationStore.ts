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
   * Arms incidents routing reaches for the first time, in one transaction (`trx` when
   * given: the caller's, committed with what else it holds), and answers the ids it
   * armed. Only an incident still at level 0 is armed — compare-and-set, so of two
   * routings of one incident (the in-process one after intake and the escalation
   * task's, or that task on two replicas) one gets it; the other leaves it alone and
   * sends nothing. An incident resolved or acknowledged before routing reached it is
   * taken too (to level 1, with nothing due), as it was opened all the same. Incidents
   * armed alike (the same level and next time, as a delivery's incidents of one team
   * are) are written by one statement per chunk.
   */
  async armAll(
    items: Array<{ id: string; level: number; next: Date | undefined }>,
    trx?: Knex.Transaction,
  ): Promise<Set<string>> {
    const armed = new Set<string>();
    if (!items.length) return armed;
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
          const chunk = ids.slice(i, i + ARM_CHUNK);
          const rows: Array<{ id: number | string }> = [
            ...(await db(INCIDENTS)
              .whereIn('id', chunk)
              .where({ escalation_level: 0, status: 'open' })
              .whereNull('acknowledged_at')
              .update({ escalation_level: level, escalate_at: next })
              .returning('id')),
            ...(await db(INCIDENTS)
              .whereIn('id', chunk)
              .where({ escalation_level: 0 })
              .update({ escalation_level: level })
              .returning('id')),
          ];
          for (const row of rows) armed.add(String(row.id));
        }
      }
    };
    await (trx ? write(trx) : this.#knex.transaction(write));
    return armed;
  }

  /**
   * Open, unacknowledged incidents of services that routing never reached (still at
   * level 0) although they opened at `openedBefore` or earlier, oldest first: routing
   * after intake did not happen (the backend stopped in between) or failed. Incidents
   * of clusters (`cluster:<name>`) belong to no team and are never routed.
   */
  async unrouted(openedBefore: Date): Promise<string[]> {
    const rows = await this.#knex(INCIDENTS)
      .where({ escalation_level: 0, status: 'open' })
      .where('opened_at', '<=', openedBefore.toISOString())
      .whereNull('acknowledged_at')
      .whereNot('entity_ref', 'like', 'cluster:%')
      .orderBy('opened_at')
      .limit(TICK_BATCH)
      .select('id');
    return rows.map(r => String(r.id));
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
