// @ts-check

/**
 * Historical containers: every container run of a K2 service that ended (its pod
 * replaced, deleted or evicted, or the container itself crashed or was OOM-killed),
 * kept for `k2.instances.retention`.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_instance_history', table => {
    table.comment('Container runs of K2 services that have ended');
    table
      .string('id')
      .primary()
      .comment(
        'cluster/pod uid/container/run: every backend replica records the same run once',
      );
    table
      .string('service_id')
      .notNullable()
      .comment('The service kubernetes-id (k2.io/service label)');
    table.string('environment').notNullable();
    table.string('cluster').notNullable();
    table.string('namespace').notNullable();
    table.string('pod').notNullable();
    table.string('container').notNullable();
    table.string('node').nullable();
    table.string('ip').nullable();
    table.text('image').nullable();
    table.integer('release_number').nullable();
    table
      .integer('run')
      .notNullable()
      .comment('0 for the first run, +1 per restart');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('ended_at', { useTz: true }).notNullable();
    table
      .string('end_reason')
      .notNullable()
      .comment(
        'replaced | restarted | scaled-down | destroyed | oom-killed | crashed | completed | evicted | deleted',
      );
    table.text('message').notNullable();
    table.integer('exit_code').nullable();
    table.string('actor').nullable();
    table.text('events').notNullable().comment('JSON: the pod newest events');
    table.index(
      ['service_id', 'ended_at', 'id'],
      'k2_instance_history_service_idx',
    );
    table.index(['ended_at'], 'k2_instance_history_ended_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_instance_history');
};
