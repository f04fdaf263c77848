import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';

/**
 * The PostgreSQL id `./k2 test` started a server for (`POSTGRES_<major>`), or the
 * Debian default when run by hand with a connection string of one's own.
 */
export const TEST_POSTGRES_ID = (process.env.K2_TEST_POSTGRES_ID ??
  'POSTGRES_15') as TestDatabaseId;

/**
 * `TestDatabases` for K2 stores: SQLite always, PostgreSQL when `./k2 test` (or the
 * developer) provides a server. When `./k2 test` started PostgreSQL it sets
 * K2_REQUIRE_POSTGRES=1, and a missing connection then fails the test file instead of
 * silently testing one engine. Call at the top level of a test file.
 */
export function createK2TestDatabases(): TestDatabases {
  const databases = TestDatabases.create({
    ids: [TEST_POSTGRES_ID, 'SQLITE_3'],
    disableDocker: true,
  });
  if (!databases.supports(TEST_POSTGRES_ID)) {
    const hint =
      `PostgreSQL tests need BACKSTAGE_TEST_DATABASE_${TEST_POSTGRES_ID.replace(
        '_',
        '',
      )}` + '_CONNECTION_STRING; `./k2 test` starts a server and sets it';
    if (process.env.K2_REQUIRE_POSTGRES === '1') {
      throw new Error(
        `${hint}, and K2_REQUIRE_POSTGRES=1 says it must be tested.`,
      );
    }
    // eslint-disable-next-line no-console
    console.warn(`Skipping PostgreSQL: ${hint}.`);
  }
  return databases;
}
