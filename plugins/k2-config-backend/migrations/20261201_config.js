// @ts-check

/**
 * Config files: one row per file of a service in an environment, and one per version.
 * A sensitive file's versions have no content here: it lives only in the clusters'
 * immutable Secrets.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_config_files', table => {
    table.comment('Config files of a service in an environment');
    table.bigIncrements('id').primary();
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service');
    table.string('environment').notNullable();
    table
      .string('name', 63)
      .notNullable()
      .comment('The file name: the data key and a label value of its objects');
    table
      .string('format', 16)
      .notNullable()
      .comment('yaml, json, properties, xml, ini or text');
    table
      .boolean('sensitive')
      .notNullable()
      .comment('Kept in Secrets; its content is never stored here');
    table.text('description').nullable();
    table
      .string('mount_path', 1024)
      .notNullable()
      .comment('Where a release mounts it unless the release says otherwise');
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table
      .timestamp('deleted_at', { useTz: true })
      .nullable()
      .comment('Set when deleted; its versions stay as history');
    table.string('deleted_by').nullable();
    table.unique(['service_ref', 'environment', 'name'], {
      indexName: 'k2_config_files_name_idx',
    });
  });

  await knex.schema.createTable('k2_config_versions', table => {
    table.comment('Every saved version of every config file');
    table.bigIncrements('id').primary();
    table
      .bigInteger('file_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('k2_config_files')
      .onDelete('CASCADE');
    table
      .integer('number')
      .notNullable()
      .comment(
        '1, 2, 3... per file; unique, so two saves on one base conflict',
      );
    table
      .string('hash', 10)
      .notNullable()
      .comment('From the SHA-256 of the content: the object name suffix');
    table
      .string('object', 253)
      .notNullable()
      .comment('The immutable ConfigMap or Secret holding the content');
    table.boolean('sensitive').notNullable();
    table.integer('size').notNullable().comment('Bytes of UTF-8 content');
    table
      .text('content')
      .nullable()
      .comment('The content; always null for a sensitive version');
    table.string('author').notNullable();
    table.text('message').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table
      .integer('restored_from')
      .nullable()
      .comment('The version whose content this one saved again');
    table
      .timestamp('collected_at', { useTz: true })
      .nullable()
      .comment('When retention (or the file deletion) removed its objects');
    table.unique(['file_id', 'number'], {
      indexName: 'k2_config_versions_number_idx',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_config_versions');
  await knex.schema.dropTable('k2_config_files');
};
