import { isoTimestamp } from '@internal/plugin-k2-node';
import { Knex } from 'knex';

const TABLE = 'k2_alert_notify_marks';
/**
 * Groups per statement: a multi-row insert on SQLite is a compound SELECT of at most
 * 500 terms, and an `IN (...)` list stays under both engines' bound-variable limits.
 */
const CHUNK = 400;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

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
   * Takes the turns of several groups as {@link NotifyMarks.take} does, with a few
   * statements for all of them (a delivery that opened thousands of incidents neither
   * commits nor queries per group); returns the groups whose turn was taken.
   *
   * The same compare-and-set as `take`, over a set: marks due are moved to now,
   * missing ones inserted (the primary key keeps one of two concurrent inserts), and a
   * group's turn is ours when its mark then holds our time. `before` runs first in the
   * same transaction (even without groups): both commit, or neither. When it answers
   * a test of groups, only the turns of the groups it keeps are taken.
   */
  async takeAll(
    groupKeys: string[],
    intervalMs: number,
    now = new Date(),
    before?: (
      trx: Knex.Transaction,
    ) => Promise<void | ((groupKey: string) => boolean)>,
  ): Promise<Set<string>> {
    const taken = new Set<string>();
    if (!groupKeys.length && !before) return taken;
    const at = now.toISOString();
    const due = new Date(now.getTime() - intervalMs).toISOString();
    await this.#knex.transaction(async trx => {
      const keep = await before?.(trx);
      const keys = [...new Set(groupKeys)].filter(key => !keep || keep(key));
      for (const chunk of chunks(keys.sort(), CHUNK)) {
        await trx(TABLE)
          .whereIn('group_key', chunk)
          .where('sent_at', '<=', due)
          .update({ sent_at: at });
        await trx(TABLE)
          .insert(chunk.map(key => ({ group_key: key, sent_at: at })))
          .onConflict('group_key')
          .ignore();
        const rows: Array<{ group_key: string; sent_at: Date | string }> =
          await trx(TABLE)
            .whereIn('group_key', chunk)
            .select('group_key', 'sent_at');
        for (const row of rows) {
          if (isoTimestamp(row.sent_at) === at) taken.add(row.group_key);
        }
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
