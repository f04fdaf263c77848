// @ts-check

/**
 * What the release driver still owes a finished release: `follow_ups` lists the steps
 * that come after its last transition (its activity log entry, the automatic rollback,
 * discarding staged secret values), written in the same update as that transition, so
 * a log that is down or a backend that stops in between never loses them.
 * `follow_ups_due` is when they may next be tried; a driver claims them by moving it
 * forward, so two backend replicas never run them at once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_releases', table => {
    table
      .text('follow_ups')
      .nullable()
      .comment(
        'JSON array of steps still owed after the last transition (activity, rollback, discard-secrets), else null',
      );
    table
      .timestamp('follow_ups_due', { useTz: true })
      .nullable()
      .comment(
        'When the follow-ups may next be tried; moved forward by the driver that claims them',
      );
    table.index(['follow_ups_due'], 'k2_releases_follow_ups_due_idx');
  });
};

/**
 * Drops the columns: follow-ups still pending are forgotten (the older driver did them
 * within the transition, or not at all).
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('k2_releases', table => {
    table.dropIndex(['follow_ups_due'], 'k2_releases_follow_ups_due_idx');
    table.dropColumn('follow_ups_due');
    table.dropColumn('follow_ups');
  });
};
