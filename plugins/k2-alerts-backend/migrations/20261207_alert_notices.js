// @ts-check

/**
 * Resolved messages: which channels and users were told of each incident that is not
 * resolved-and-told yet, so that exactly those hear once that it resolved.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_alert_notices', table => {
    table.comment(
      'Incidents whose team was told they opened (or escalated), until told they resolved',
    );
    table
      .bigInteger('incident_id')
      .primary()
      .comment(
        'k2_alert_incidents.id; the row goes once the resolution is sent',
      );
    table.string('team_ref').notNullable().comment('The team that was told');
    table
      .text('channels')
      .notNullable()
      .comment('JSON: ids of the team channels that delivered a message');
    table
      .text('recipients')
      .notNullable()
      .comment('JSON: user refs those messages reached');
    table
      .integer('level')
      .notNullable()
      .comment('The highest escalation level told');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_alert_notices');
};
