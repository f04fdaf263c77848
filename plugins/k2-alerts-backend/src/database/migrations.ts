import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Where the plugin's knex migrations live. */
export const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-alerts-backend',
  'migrations',
);

/** The plugin's database, as the store takes it. */
export interface PluginDatabase {
  database: Pick<DatabaseService, 'getClient' | 'migrations'>;
}

/**
 * The knex client, migrated to the latest schema unless migrations are skipped.
 *
 * On SQLite (development and tests) the database is put in write-ahead-log mode
 * first: a commit appends to the `-wal` file instead of writing and deleting a rollback
 * journal (about 2 ms to 0.1 ms a commit on the development machine, which an alert
 * storm does hundreds of times), and readers no longer block the writer. The mode is
 * kept in the database file, so every connection and process that opens it, and the
 * next start, use it; `synchronous` stays at its default (FULL), so a commit is as
 * durable as before. An in-memory database keeps its memory journal.
 */
export async function migrate(options: PluginDatabase): Promise<Knex> {
  const knex = await options.database.getClient();
  if (String(knex.client.config.client).includes('sqlite')) {
    // Switching needs the file to itself for a moment: while another process holds it
    // in rollback-journal mode the switch waits for its busy timeout and then fails,
    // and the database stays as it was (correct, only slower commits); the next start
    // tries again.
    await knex.raw('PRAGMA journal_mode = WAL').catch(() => undefined);
  }
  if (!options.database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}
