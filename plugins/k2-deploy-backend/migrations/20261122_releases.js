// @ts-check

/**
 * Releases (with their full specs, autoscaling included) and the per-service activity log.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_releases', table => {
    table.comment('Every release of every service to every environment');
    table.string('id').primary().comment('UUID');
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table.string('namespace').notNullable();
    table
      .integer('number')
      .notNullable()
      .comment('1, 2, 3... per service and environment');
    table
      .string('kind')
      .notNullable()
      .comment('release | rollback | scale | restart');
    table.string('status').notNullable();
    table
      .string('active_target')
      .nullable()
      .unique()
      .comment(
        'service_ref|environment while the release is in flight, else null: one in flight per target',
      );
    table.text('spec').notNullable().comment('JSON K2ReleaseSpec');
    table
      .text('template')
      .notNullable()
      .comment(
        'JSON: the release whose pod template this one keeps, and restart time',
      );
    table.text('message').nullable();
    table.text('reason').nullable();
    table.string('rollback_of').nullable();
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.string('approved_by').nullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table
      .text('progress')
      .notNullable()
      .comment('JSON: per-cluster progress and applied generations');
    table.unique(['service_ref', 'environment', 'number'], {
      indexName: 'k2_releases_target_number_idx',
    });
    table.index(
      ['service_ref', 'created_at'],
      'k2_releases_service_created_idx',
    );
    table.index(['status'], 'k2_releases_status_idx');
  });

  await knex.schema.createTable('k2_activity', table => {
    table.comment('Per-service log of every mutating action and its result');
    table.bigIncrements('id').primary();
    table.string('service_ref').notNullable();
    table.string('environment').nullable();
    table.string('actor').notNullable();
    table.string('action').notNullable();
    table.text('summary').notNullable();
    table.string('result').notNullable();
    table.string('release_id').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['service_ref', 'id'], 'k2_activity_service_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_activity');
  await knex.schema.dropTable('k2_releases');
};
