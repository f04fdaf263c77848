// @ts-check

/**
 * Canaries: a new image running as `<name>-canary` beside a service's stable release in
 * one environment, until it is promoted (a release of its image), aborted, or fails to
 * start. `running_target` holds `service_ref|environment` while the canary runs and is
 * null once it ended, so the unique key allows at most one running canary per service
 * and environment, whichever backend replica starts it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_canaries', table => {
    table.comment('Every canary of every service in every environment');
    table.string('id').primary().comment('UUID');
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table.string('namespace').notNullable();
    table.text('image').notNullable();
    table
      .integer('replicas')
      .notNullable()
      .comment('Canary replicas in each cluster of the environment');
    table
      .text('spec')
      .notNullable()
      .comment(
        "JSON K2ReleaseSpec: the stable release's spec with the canary's image and replicas",
      );
    table
      .string('base_release_id')
      .notNullable()
      .comment('The stable release whose pod template the canary runs');
    table.integer('base_release_number').notNullable();
    table
      .string('status')
      .notNullable()
      .comment('running | promoted | aborted | failed');
    table
      .string('running_target')
      .nullable()
      .unique()
      .comment(
        'service_ref|environment while the canary runs, else null: one running canary per target',
      );
    table
      .text('message')
      .nullable()
      .comment('Why it ended, or what it waits for');
    table
      .string('promotion_release_id')
      .nullable()
      .comment('The release promoting the canary, once asked for');
    table.integer('promotion_release_number').nullable();
    table.string('started_by').notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.string('ended_by').nullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table.index(
      ['service_ref', 'environment', 'started_at'],
      'k2_canaries_target_started_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_canaries');
};
