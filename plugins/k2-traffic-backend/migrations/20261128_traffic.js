// @ts-check

/**
 * Traffic: every published version of every site, the current bundle of each Nginx
 * cluster, and what each Nginx host last reported.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_traffic_site_versions', table => {
    table.comment('Every publish of a service site in an environment');
    table.bigIncrements('id').primary();
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table
      .integer('number')
      .notNullable()
      .comment('1, 2, 3... per service and environment');
    table
      .string('cluster')
      .notNullable()
      .comment('The Nginx cluster it was published to');
    table.text('document').notNullable().comment('JSON: the site as written');
    table
      .text('server_names')
      .notNullable()
      .comment(
        'JSON: every server name the version answers, test domain first',
      );
    table
      .text('upstreams')
      .notNullable()
      .comment('JSON: the validated upstreams, for rendering their members');
    table
      .text('files')
      .notNullable()
      .comment('JSON: the rendered files [{ path, content }] as published');
    table.string('content_hash').notNullable().comment('sha256:<hex> of files');
    table.text('message').notNullable();
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table
      .integer('rollback_of')
      .nullable()
      .comment('The version whose document this one published again');
    table.unique(['service_ref', 'environment', 'number'], {
      indexName: 'k2_traffic_site_versions_site_number_idx',
    });
    table.index(['environment'], 'k2_traffic_site_versions_environment_idx');
  });

  await knex.schema.createTable('k2_traffic_bundles', table => {
    table.comment(
      'The current bundle of each Nginx cluster, as agents pull it',
    );
    table.string('cluster').primary();
    table
      .string('version')
      .notNullable()
      .comment('Opaque; changes with any file');
    table.string('hash').notNullable().comment('sha256:<hex> over the files');
    table.text('files').notNullable().comment('JSON [{ path, content }]');
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('k2_traffic_host_reports', table => {
    table.comment('The last report of each Nginx host');
    table.string('cluster').notNullable();
    table.string('host').notNullable();
    table
      .string('version')
      .notNullable()
      .comment('The version the report is about');
    table.boolean('ok').notNullable();
    table.text('error').nullable().comment('Why it was not applied');
    table
      .string('applied_version')
      .nullable()
      .comment('The last version the host reported applied');
    table.timestamp('reported_at', { useTz: true }).notNullable();
    table.primary(['cluster', 'host']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_traffic_host_reports');
  await knex.schema.dropTable('k2_traffic_bundles');
  await knex.schema.dropTable('k2_traffic_site_versions');
};
