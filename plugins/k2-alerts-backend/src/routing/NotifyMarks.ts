import { isoTimestamp } from '@internal/plugin-k2-node';
import { Knex } from 'knex';

const TABLE = 'k2_alert_notify_marks';

/**
 * When each incident group was last notified, so that a group is notified at most once
 * per repeat interval however often Alertmanager redelivers it or its alerts flap.
 */
export class NotifyMarks {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /**
   * Takes the group's turn: true when it was not notified within `intervalMs` (and
   * records now), false otherwise. Compare-and-set, so of two replicas taking the
   * same turn only one gets it.
   */
  async take(groupKey: string, intervalMs: number, now = new Date()) {
    const at = now.toISOString();
    const updated = await this.#knex(TABLE)
      .where({ group_key: groupKey })
      .where(
        'sent_at',
        '<=',
        new Date(now.getTime() - intervalMs).toISOString(),
      )
      .update({ sent_at: at });
    if (updated > 0) return true;
    await this.#knex(TABLE)
      .insert({ group_key: groupKey, sent_at: at })
      .onConflict('group_key')
      .ignore();
    const row = await this.#knex(TABLE).where({ group_key: groupKey }).first();
    // Ours when the row holds our time: the insert went in.
    return isoTimestamp(row.sent_at) === at;
  }
}
