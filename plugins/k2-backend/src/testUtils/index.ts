/**
 * Test helpers for K2 capability backends (`@internal/plugin-k2-backend/testUtils`):
 * the test users and their teams, and a test backend that runs a capability plugin
 * with K2's core plugin, the real permission backend with K2's policy and a real
 * catalog, and the in-memory databases it gives each plugin. Kept out of the main
 * entry so no test code reaches the backend's bundle.
 *
 * @packageDocumentation
 */
export {
  ALICE,
  BOB,
  CAROL,
  DAVE,
  ERIN,
  OWNER_GROUP,
  OTHER_TEAM,
  APPROVER_GROUP,
  PLATFORM_ADMIN_GROUP,
  as,
} from './users';
export {
  inMemoryDatabaseFactory,
  serviceEntity,
  startK2PluginTestBackend,
} from './testBackend';
export type { K2TestCluster } from './testBackend';
