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

/** The knex client, migrated to the latest schema unless migrations are skipped. */
export async function migrate(options: PluginDatabase): Promise<Knex> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}
