// @ts-check

/**
 * A release waiting for approval no longer occupies its target: it moves from
 * `active_target` (one release in flight per target: applying or rolling out) to
 * `waiting_target` (one release waiting per target), so scale and restart go through
 * while it waits. `replicas_requested` says whether a release named its replica count;
 * one that did not follows the current count when it is approved.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_releases', table => {
    table
      .string('waiting_target')
      .nullable()
      .unique({ indexName: 'k2_releases_waiting_target_idx' })
      .comment(
        'service_ref|environment while the release waits for approval, else null: one waiting per target',
      );
    table
      .boolean('replicas_requested')
      .nullable()
      .comment(
        'Whether the request named a replica count; null for releases stored before this was kept',
      );
  });
  await knex('k2_releases')
    .where({ status: 'pending-approval' })
    .update({ waiting_target: knex.ref('active_target'), active_target: null });
};

/**
 * Back to one column: a waiting release holds its target again. Where a target has
 * both a waiting release and one in flight, the waiting one is withdrawn (the older
 * schema cannot hold both); withdrawn and expired releases read as rejected.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  const busy = knex('k2_releases')
    .select('active_target')
    .whereNotNull('active_target');
  await knex('k2_releases').whereIn('waiting_target', busy).update({
    status: 'cancelled',
    reason: 'Withdrawn when the database was migrated back',
    waiting_target: null,
  });
  await knex('k2_releases')
    .whereNotNull('waiting_target')
    .update({ active_target: knex.ref('waiting_target') });
  await knex('k2_releases')
    .whereIn('status', ['cancelled', 'expired'])
    .update({ status: 'rejected' });
  await knex.schema.alterTable('k2_releases', table => {
    table.dropUnique(['waiting_target'], 'k2_releases_waiting_target_idx');
    table.dropColumn('waiting_target');
    table.dropColumn('replicas_requested');
  });
};
