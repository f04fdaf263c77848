// @ts-check

/**
 * The heartbeat of a running build: the replica running it sets `heartbeat_at` every
 * few seconds. A `running` build whose heartbeat is old was left by a backend that
 * stopped; only such a build is taken over (resumed or failed) by another replica or
 * the next start, never one a live replica runs.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_builds', table => {
    table
      .timestamp('heartbeat_at', { useTz: true })
      .nullable()
      .comment(
        'Set every few seconds by the replica running the build; old means abandoned',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('k2_builds', table => {
    table.dropColumn('heartbeat_at');
  });
};
