// @ts-check

/**
 * Middleware instances, the services bound to them, the backup each deleted or expired
 * instance keeps for its retention period, and their lifecycle events. No column ever
 * holds a secret value: passwords live only in the instance's Kubernetes Secret.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_middleware_instances', table => {
    table.comment(
      'Middleware instances created for a service in an environment',
    );
    table.uuid('id').primary();
    table
      .string('name', 63)
      .notNullable()
      .comment(
        'Names its Kubernetes objects; unique per environment until purged',
      );
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the service it was created for');
    table
      .string('owner_ref')
      .notNullable()
      .comment("The service's owning group when it was created");
    table.string('environment', 63).notNullable();
    table.string('cluster').notNullable();
    table.string('namespace', 63).notNullable();
    table.string('template', 63).notNullable();
    table.string('product', 63).notNullable();
    table.string('version', 63).notNullable();
    table.string('category', 32).notNullable();
    table
      .text('parameters')
      .notNullable()
      .comment('JSON of the resolved template parameters; never a secret');
    table
      .string('phase', 32)
      .notNullable()
      .comment(
        'awaiting-approval, rejected, active, updating, deleting, deleted, expired, restoring or failed',
      );
    table.text('phase_reason').nullable();
    table
      .timestamp('expires_at', { useTz: true })
      .nullable()
      .comment('Null where instances never expire');
    table
      .timestamp('reminded_at', { useTz: true })
      .nullable()
      .comment('When the owners were reminded of the current expiry');
    table.integer('renewals').notNullable().defaultTo(0);
    table
      .string('secret_name', 253)
      .notNullable()
      .comment('The Secret holding the passwords (its name only)');
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table
      .text('approval')
      .nullable()
      .comment(
        'JSON: requestedBy, requestedAt, reason, decision, decidedBy, ...',
      );
    table
      .integer('revision')
      .notNullable()
      .defaultTo(1)
      .comment('Raised by every update; updates compare and set it');
    table.unique(['environment', 'name'], {
      indexName: 'k2_middleware_instances_name_idx',
    });
    table.index(['service_ref'], 'k2_middleware_instances_service_idx');
    table.index(['phase', 'expires_at'], 'k2_middleware_instances_phase_idx');
  });

  await knex.schema.createTable('k2_middleware_bindings', table => {
    table.comment(
      'Services whose releases receive an instance’s connection env vars',
    );
    table
      .uuid('instance_id')
      .notNullable()
      .references('id')
      .inTable('k2_middleware_instances')
      .onDelete('CASCADE');
    table
      .string('service_ref')
      .notNullable()
      .comment('Lowercased entity ref of the bound service');
    table.string('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.primary(['instance_id', 'service_ref']);
    table.index(['service_ref'], 'k2_middleware_bindings_service_idx');
  });

  await knex.schema.createTable('k2_middleware_backups', table => {
    table.comment('What a deleted or expired instance keeps for a restore');
    table
      .uuid('instance_id')
      .primary()
      .references('id')
      .inTable('k2_middleware_instances')
      .onDelete('CASCADE');
    table.timestamp('saved_at', { useTz: true }).notNullable();
    table.string('reason', 16).notNullable().comment('deleted or expired');
    table.timestamp('restorable_until', { useTz: true }).notNullable();
    table
      .text('manifests')
      .notNullable()
      .comment('JSON of the rendered objects; never Secret data');
    table.text('volumes').notNullable().comment('JSON: the kept PVC names');
    table
      .text('dump')
      .nullable()
      .comment(
        'JSON {job, volume, state} of the logical dump, where the template has one',
      );
  });

  await knex.schema.createTable('k2_middleware_events', table => {
    table.comment('Lifecycle events of instances, oldest first');
    table.bigIncrements('id').primary();
    table
      .uuid('instance_id')
      .notNullable()
      .references('id')
      .inTable('k2_middleware_instances')
      .onDelete('CASCADE');
    table.timestamp('at', { useTz: true }).notNullable();
    table.string('type', 32).notNullable();
    table.string('actor').nullable();
    table.text('summary').notNullable();
    table.index(['instance_id', 'id'], 'k2_middleware_events_instance_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_middleware_events');
  await knex.schema.dropTable('k2_middleware_backups');
  await knex.schema.dropTable('k2_middleware_bindings');
  await knex.schema.dropTable('k2_middleware_instances');
};
