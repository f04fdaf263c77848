// @ts-check

/**
 * The digest the registry gave for a release's image when K2 looked it up before the
 * release was made (or approved): what the tag named then, shown in the history. Null
 * for releases whose registry is not in `k2.registries` and for releases made before
 * images were looked up.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('k2_releases', table => {
    table
      .string('image_digest')
      .nullable()
      .comment(
        "The image manifest's digest (sha256:…) found in the registry before the release, else null",
      );
  });
};

/**
 * Drops the column: the digests recorded are forgotten (the releases keep their tags).
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('k2_releases', table => {
    table.dropColumn('image_digest');
  });
};
