// @ts-check

/**
 * Builds, their logs in chunks, and the push webhook deliveries already received. No
 * column ever holds a secret: registry and source credentials stay in config, and a
 * runner never writes them to the log.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('k2_builds', table => {
    table.comment('Images of services built from Git refs');
    table.uuid('id').primary();
    table
      .string('service')
      .notNullable()
      .comment('Lowercased entity ref of the service built');
    table.integer('number').notNullable().comment('Per service, from 1');
    table
      .string('ref', 255)
      .notNullable()
      .comment('The branch or tag asked for');
    table
      .string('commit', 40)
      .nullable()
      .comment('The 40-hex commit built, resolved before the build started');
    table.text('commit_message').nullable();
    table
      .string('trigger', 16)
      .notNullable()
      .comment('ui, scaffolder or webhook');
    table
      .string('triggered_by')
      .notNullable()
      .comment('A user ref, or "push by <pusher>" for a webhook');
    table.string('delivery_id', 200).nullable();
    table
      .string('status', 16)
      .notNullable()
      .comment(
        'queued, running, succeeded, failed, cancelled, timed-out or superseded',
      );
    table.text('reason').nullable().comment('One line: why it did not succeed');
    table.string('runner', 16).notNullable().comment('local or kubernetes');
    table.string('cluster').nullable();
    table.string('job_name', 63).nullable();
    table
      .string('image', 600)
      .notNullable()
      .comment('registry/repository:tag as releases name it');
    table.string('image_digest', 200).nullable();
    table
      .string('dockerfile_source', 16)
      .notNullable()
      .comment('generated or repository');
    table.string('dockerfile_path', 500).nullable();
    table.string('dockerfile_template', 63).nullable();
    table.text('dockerfile').nullable().comment('The text the build used');
    table
      .text('dockerfile_problems')
      .nullable()
      .comment('JSON: the problems the lint found in that text');
    table.string('release_to', 63).nullable();
    table.string('release_id').nullable();
    table.integer('release_number').nullable();
    table
      .timestamp('cancel_requested_at', { useTz: true })
      .nullable()
      .comment('Set by a cancel; the replica running the build stops it');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.integer('log_bytes').notNullable().defaultTo(0);
    table.boolean('log_truncated').notNullable().defaultTo(false);
    table
      .timestamp('log_deleted_at', { useTz: true })
      .nullable()
      .comment('When the log was deleted at the end of its retention');
    table.unique(['service', 'number'], {
      indexName: 'k2_builds_service_number_idx',
    });
    table.index(['status'], 'k2_builds_status_idx');
  });

  await knex.schema.createTable('k2_build_log_chunks', table => {
    table.comment('Build logs, in chunks of at most 64 KiB');
    table
      .uuid('build_id')
      .notNullable()
      .references('id')
      .inTable('k2_builds')
      .onDelete('CASCADE');
    table.integer('seq').notNullable().comment('From 0, in write order');
    table
      .integer('start_byte')
      .notNullable()
      .comment("The chunk's first byte in the whole log");
    table.integer('bytes').notNullable().comment('UTF-8 bytes of text');
    table.text('text').notNullable();
    table.primary(['build_id', 'seq']);
  });

  await knex.schema.createTable('k2_build_webhook_deliveries', table => {
    table.comment('Push webhook deliveries received (pruned after 7 days)');
    table.string('delivery_id', 200).primary();
    table.timestamp('received_at', { useTz: true }).notNullable();
    table.index(['received_at'], 'k2_build_webhook_deliveries_received_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('k2_build_webhook_deliveries');
  await knex.schema.dropTable('k2_build_log_chunks');
  await knex.schema.dropTable('k2_builds');
};
