// @ts-check

/**
 * Alert rules: custom rule templates (built-in ones live in the package's
 * `templates/` folder), the rules of each service per environment, and the
 * delivery state of each service's compiled rule group per environment.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_alert_templates', table => {
    table.comment('Custom rule templates made by platform admins');
    table.string('id', 63).primary();
    table.string('title', 200).notNullable();
    table.text('description').notNullable();
    table.text('parameters').notNullable().comment('JSON TemplateParameter[]');
    table.string('default_severity', 16).notNullable();
    table.string('default_for', 16).notNullable();
    table.string('scope', 16).notNullable();
    table.text('expr').notNullable().comment('PromQL with {{ }} placeholders');
    table.text('summary').nullable();
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.string('updated_by').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('k2_alert_rules', table => {
    table.comment('Alert rules of a service in an environment');
    table.string('id', 63).primary().comment("Also the alerts' k2_rule label");
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment', 63).notNullable();
    table.string('name', 64).notNullable().comment("The alerts' alertname");
    table.string('template_id', 63).nullable();
    table.text('parameters').notNullable().comment('JSON object');
    table.text('expr').nullable().comment('Raw PromQL rules only');
    table.string('for', 16).notNullable();
    table.string('severity', 16).notNullable();
    table.boolean('enabled').notNullable();
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.string('updated_by').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.unique(['service_ref', 'environment', 'name'], {
      indexName: 'k2_alert_rules_name_idx',
    });
    table.index(['template_id'], 'k2_alert_rules_template_idx');
  });

  await knex.schema.createTable('k2_alert_rule_groups', table => {
    table.comment(
      'The compiled rule group of each service per environment and how its delivery went',
    );
    table.string('service_ref').notNullable();
    table.string('environment', 63).notNullable();
    table
      .text('content')
      .nullable()
      .comment(
        'The rule group file as delivered; null when no rule is enabled',
      );
    table
      .string('state', 16)
      .notNullable()
      .comment('delivered, pending or failed');
    table.text('message').nullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.primary(['service_ref', 'environment']);
    table.index(['state'], 'k2_alert_rule_groups_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_alert_rule_groups');
  await knex.schema.dropTable('k2_alert_rules');
  await knex.schema.dropTable('k2_alert_templates');
};
