// @ts-check

/**
 * Traffic approvals: publishes and rollbacks of a site in an environment whose changes
 * need approval wait here until an approver decides; a version published by an
 * approval names its approver.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_traffic_site_versions', table => {
    table
      .string('approved_by')
      .nullable()
      .comment('Who approved the change this version published, where one did');
  });

  await knex.schema.createTable('k2_traffic_site_changes', table => {
    table.comment(
      'Publishes and rollbacks of a site waiting for approval, and how they were decided',
    );
    table.increments('id').primary();
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table
      .string('cluster')
      .notNullable()
      .comment('The Nginx cluster it would be published to');
    table
      .text('document')
      .notNullable()
      .comment('JSON: the site to publish once approved');
    table.text('message').notNullable();
    table
      .integer('rollback_of')
      .nullable()
      .comment('The version whose document it publishes again');
    table
      .string('content_hash')
      .notNullable()
      .comment('sha256:<hex> of the files as rendered when it was asked for');
    table.string('requested_by').notNullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table
      .string('status')
      .notNullable()
      .comment('waiting, approved or rejected');
    table
      .string('waiting_site')
      .nullable()
      .comment(
        '<service_ref> <environment> while waiting, else null: one waiting change per site',
      );
    table.string('decided_by').nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.text('reason').nullable().comment('Why it was rejected');
    table
      .integer('version')
      .nullable()
      .comment('The version its approval published');
    table.unique(['waiting_site'], {
      indexName: 'k2_traffic_site_changes_waiting_site_idx',
    });
    table.index(
      ['service_ref', 'environment'],
      'k2_traffic_site_changes_site_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_traffic_site_changes');
  await knex.schema.alterTable('k2_traffic_site_versions', table => {
    table.dropColumn('approved_by');
  });
};
