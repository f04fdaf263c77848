/**
 * Test helpers for K2 backend packages.
 *
 * @packageDocumentation
 */
export { createK2TestDatabases, TEST_POSTGRES_ID } from './databases';
