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
    return NotifyMarks.#take(this.#knex, groupKey, intervalMs, now);
  }

  /**
   * Takes the turns of several groups as {@link NotifyMarks.take} does, in one
   * transaction (one commit for a delivery that opened thousands of incidents); returns
   * the groups whose turn was taken.
   */
  async takeAll(
    groupKeys: string[],
    intervalMs: number,
    now = new Date(),
  ): Promise<Set<string>> {
    const taken = new Set<string>();
    if (!groupKeys.length) return taken;
    await this.#knex.transaction(async trx => {
      for (const key of new Set(groupKeys)) {
        if (await NotifyMarks.#take(trx, key, intervalMs, now)) taken.add(key);
      }
    });
    return taken;
  }

  static async #take(
    knex: Knex,
    groupKey: string,
    intervalMs: number,
    now: Date,
  ) {
    const at = now.toISOString();
    const updated = await knex(TABLE)
      .where({ group_key: groupKey })
      .where(
        'sent_at',
        '<=',
        new Date(now.getTime() - intervalMs).toISOString(),
      )
      .update({ sent_at: at });
    if (updated > 0) return true;
    await knex(TABLE)
      .insert({ group_key: groupKey, sent_at: at })
      .onConflict('group_key')
      .ignore();
    const row = await knex(TABLE).where({ group_key: groupKey }).first();
    // Ours when the row holds our time: the insert went in.
    return isoTimestamp(row.sent_at) === at;
  }
}
