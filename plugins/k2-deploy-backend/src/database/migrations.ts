import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-deploy-backend',
  'migrations',
);

/** The plugin's database, as the stores take it. */
export interface PluginDatabase {
  database: Pick<DatabaseService, 'getClient' | 'migrations'>;
  skipMigrations?: boolean;
}

/** The knex client, migrated to the latest schema unless migrations are skipped. */
export async function migrate(options: PluginDatabase): Promise<Knex> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip && !options.skipMigrations) {
    await knex.migrate.latest({ directory: MIGRATIONS });
  }
  return knex;
}
