// @ts-check

/**
 * The repository a build cloned, as K2 compares repositories (`normaliseRepositoryUrl`:
 * host in lower case, no `.git`, no trailing slash, a tree URL reduced to the
 * repository). With it the store answers which services' succeeded builds cloned a
 * repository, the history that decides whose repository it is when services of two
 * owners name it. Builds from before this migration recorded none (null). At most
 * 1000 characters: a build plan refuses a longer repository URL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_builds', table => {
    table
      .string('source_key', 1000)
      .nullable()
      .comment(
        'The normalised URL of the repository the build cloned; null before it was recorded',
      );
    // Which services have succeeded builds of a repository: by key and status, the
    // services read from the index.
    table.index(
      ['source_key', 'status', 'service'],
      'k2_builds_source_key_status_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('k2_builds', table => {
    table.dropIndex(
      ['source_key', 'status', 'service'],
      'k2_builds_source_key_status_idx',
    );
    table.dropColumn('source_key');
  });
};
