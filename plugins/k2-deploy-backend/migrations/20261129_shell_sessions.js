// @ts-check

/**
 * Shell and debug sessions: who opened a terminal in which container of which pod,
 * when it started and ended, why it ended, and the lines typed. A session is created
 * with a single-use ticket (only its SHA-256 is kept, cleared once redeemed) and counts
 * towards the limits while its ticket is valid or its WebSocket was seen in the last
 * two minutes (`last_seen_at`, refreshed while it is open).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_shell_sessions', table => {
    table.comment('Every shell and debug session opened through K2');
    table.string('id').primary().comment('UUID');
    table
      .string('service')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table.string('cluster').notNullable();
    table.string('namespace').notNullable().comment("The pod's namespace");
    table.string('pod').notNullable();
    table
      .string('container')
      .notNullable()
      .comment(
        'The container the terminal runs in (the debug container for debug)',
      );
    table.string('kind').notNullable().comment('shell | debug');
    table.text('image').nullable().comment("The debug container's image");
    table.string('user_ref').notNullable().comment('Who opened it');
    table
      .string('ticket_hash')
      .nullable()
      .comment('SHA-256 (hex) of the ticket until it is redeemed, then null');
    table.timestamp('ticket_expires_at', { useTz: true }).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table
      .string('end_reason')
      .nullable()
      .comment(
        'exit | closed | idle | max-duration | pod-gone | no-shell | error | lost',
      );
    table
      .timestamp('last_seen_at', { useTz: true })
      .nullable()
      .comment('Refreshed every 30 s while the WebSocket is open');
    table
      .integer('cols')
      .nullable()
      .comment('Terminal columns asked for when it was opened');
    table
      .integer('rows')
      .nullable()
      .comment('Terminal rows asked for when it was opened');
    table
      .text('commands')
      .notNullable()
      .comment('JSON [{ at, line }]: the lines typed, at most 1,000');
    table.index(['ended_at'], 'k2_shell_sessions_open_idx');
    table.index(['created_at', 'id'], 'k2_shell_sessions_created_idx');
    table.index(['service', 'created_at'], 'k2_shell_sessions_service_idx');
    table.index(['user_ref', 'created_at'], 'k2_shell_sessions_user_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_shell_sessions');
};
