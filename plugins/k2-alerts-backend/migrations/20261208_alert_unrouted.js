// @ts-check

/**
 * Incidents routing never reached: the escalation task looks for open incidents still
 * at escalation level 0 a grace period after they opened, through this index, so the
 * look reads those few rows however many incidents the table holds.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_alert_incidents', table => {
    table.index(
      ['escalation_level', 'status', 'opened_at'],
      'k2_alert_incidents_unrouted_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('k2_alert_incidents', table => {
    table.dropIndex(
      ['escalation_level', 'status', 'opened_at'],
      'k2_alert_incidents_unrouted_idx',
    );
  });
};
