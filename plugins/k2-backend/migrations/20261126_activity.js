// @ts-check

/**
 * The activity log of every K2 capability: one row per mutating action on a service
 * (refusals included). Owned by the `k2` core plugin; capability plugins write through
 * its service-to-service API.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_activity', table => {
    table.comment('Per-service log of every mutating K2 action and its result');
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
};
