// @ts-check

/**
 * Routing and escalation: who acknowledged or resolved an incident by hand, where its
 * escalation stands, each team's alert settings, and when each incident group was
 * last notified (for the repeat interval).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_alert_incidents', table => {
    table.timestamp('acknowledged_at', { useTz: true }).nullable();
    table
      .string('acknowledged_by')
      .nullable()
      .comment('User ref of who acknowledged it');
    table
      .string('resolved_by')
      .nullable()
      .comment('User ref of who resolved it by hand; null when its alerts did');
    table
      .integer('escalation_level')
      .notNullable()
      .defaultTo(0)
      .comment('The escalation level last notified; 0 before any');
    table
      .timestamp('escalate_at', { useTz: true })
      .nullable()
      .comment(
        'When the next level is due; null once acknowledged, resolved or at the last level',
      );
    table.index(['escalate_at'], 'k2_alert_incidents_escalate_idx');
  });

  await knex.schema.createTable('k2_alert_team_settings', table => {
    table.comment(
      'Alert settings per team: channels, templates, quiet hours, escalation, rota',
    );
    table
      .string('team_ref')
      .primary()
      .comment('Lowercased entity ref of the group');
    table.text('settings').notNullable().comment('JSON');
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.string('updated_by').notNullable();
  });

  await knex.schema.createTable('k2_alert_notify_marks', table => {
    table.comment(
      'When each incident group (service|environment|rule) was last notified',
    );
    table.string('group_key').primary();
    table.timestamp('sent_at', { useTz: true }).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_alert_notify_marks');
  await knex.schema.dropTable('k2_alert_team_settings');
  await knex.schema.alterTable('k2_alert_incidents', table => {
    table.dropIndex(['escalate_at'], 'k2_alert_incidents_escalate_idx');
    table.dropColumn('escalate_at');
    table.dropColumn('escalation_level');
    table.dropColumn('resolved_by');
    table.dropColumn('acknowledged_by');
    table.dropColumn('acknowledged_at');
  });
};
