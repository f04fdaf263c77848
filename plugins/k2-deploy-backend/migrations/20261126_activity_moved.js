// @ts-check

/**
 * The activity log moved to the `k2` core plugin (plugins/k2-backend), which every K2
 * capability writes to. Its table leaves the Deploy plugin's database; entries written
 * before the move are not carried over (databases of different plugins may live on
 * different servers).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.dropTable('k2_activity');
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
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
