// @ts-check

/**
 * Intake: every alert instance K2 received (from Alertmanager or its own Kubernetes
 * signals), every state change of each as history, and the incidents that group them
 * per service, environment and rule.
 *
 * Sized for storms (10,000 open alerts): every read the intake makes per delivery
 * goes through an index, and the history of a service is read by time from one.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_alert_incidents', table => {
    table.comment(
      'Incidents: the alerts of one service, environment and rule while any fires',
    );
    table.bigIncrements('id').primary();
    table
      .string('entity_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table
      .string('rule_key')
      .notNullable()
      .comment('The k2_rule label: a rule id, or signal:<reason>');
    table.text('title').notNullable();
    table.string('severity', 16).notNullable();
    table.string('status', 16).notNullable().comment('open or resolved');
    table
      .string('source', 16)
      .notNullable()
      .comment('prometheus or kubernetes');
    table
      .string('open_key')
      .nullable()
      .comment(
        'entity|environment|rule while open, null once resolved: at most one open incident per group',
      );
    table
      .string('opened_by', 36)
      .notNullable()
      .comment('The delivery that opened it');
    table.timestamp('opened_at', { useTz: true }).notNullable();
    table.timestamp('resolved_at', { useTz: true }).nullable();
    table.timestamp('last_change_at', { useTz: true }).notNullable();
    table.integer('firing_count').notNullable().defaultTo(0);
    table.integer('alert_count').notNullable().defaultTo(0);
    table.unique(['open_key'], { indexName: 'k2_alert_incidents_open_idx' });
    table.index(
      ['entity_ref', 'status', 'opened_at'],
      'k2_alert_incidents_service_idx',
    );
  });

  await knex.schema.createTable('k2_alerts', table => {
    table.comment('Alert instances: one per fingerprint and start time');
    table.bigIncrements('id').primary();
    table.string('fingerprint', 64).notNullable();
    table
      .string('starts_at', 40)
      .notNullable()
      .comment('startsAt exactly as delivered: with the fingerprint, the key');
    table.string('status', 16).notNullable().comment('firing or resolved');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('ended_at', { useTz: true }).nullable();
    table.text('labels').notNullable().comment('JSON');
    table.text('annotations').notNullable().comment('JSON');
    table.string('entity_ref').notNullable();
    table.string('environment').notNullable();
    table.string('rule_key').notNullable();
    table.string('cluster').nullable();
    table.string('severity', 16).notNullable();
    table.string('source', 16).notNullable();
    table
      .bigInteger('incident_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('k2_alert_incidents')
      .onDelete('CASCADE');
    table
      .string('delivery', 36)
      .notNullable()
      .comment('The delivery that last changed the row');
    table.unique(['fingerprint', 'starts_at'], {
      indexName: 'k2_alerts_key_idx',
    });
    table.index(['incident_id', 'status'], 'k2_alerts_incident_idx');
    table.index(['source', 'status'], 'k2_alerts_source_idx');
  });

  await knex.schema.createTable('k2_alert_events', table => {
    table.comment('History: every state change of every alert');
    table.bigIncrements('id').primary();
    table
      .bigInteger('alert_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('k2_alerts')
      .onDelete('CASCADE');
    table.bigInteger('incident_id').unsigned().notNullable();
    table.string('entity_ref').notNullable();
    table.string('environment').notNullable();
    table.string('rule_key').notNullable();
    table.string('severity', 16).notNullable();
    table.string('status', 16).notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table
      .string('source', 16)
      .notNullable()
      .comment('What delivered the change: alertmanager or kubernetes');
    table.text('summary').notNullable();
    table.unique(['alert_id', 'status'], {
      indexName: 'k2_alert_events_change_idx',
    });
    table.index(['entity_ref', 'at', 'id'], 'k2_alert_events_service_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_alert_events');
  await knex.schema.dropTable('k2_alerts');
  await knex.schema.dropTable('k2_alert_incidents');
};
