import { mockCredentials } from '@backstage/backend-test-utils';

export const ALICE = 'user:default/alice'; // owner
export const BOB = 'user:default/bob'; // another team
export const CAROL = 'user:default/carol'; // release approver
export const DAVE = 'user:default/dave'; // platform admin
/** In the owning team and in the approver group. */
export const ERIN = 'user:default/erin';

/** The owning team of the test services. */
export const OWNER_GROUP = 'group:default/shop-team';
/** Bob's team, which owns none of the test services unless a test says so. */
export const OTHER_TEAM = 'group:default/other-team';
/** The approver group of the test environments that need approval. */
export const APPROVER_GROUP = 'group:default/release-approvers';
/** `k2.platformAdminGroup` of the test backend. */
export const PLATFORM_ADMIN_GROUP = 'group:default/platform-admins';

/**
 * Each test user's ownership claims, as the sign-in resolver would give them; a user
 * not listed here claims only itself.
 */
export const claimsOf: Record<string, string[]> = {
  [ALICE]: [ALICE, OWNER_GROUP],
  [BOB]: [BOB, OTHER_TEAM],
  [CAROL]: [CAROL, APPROVER_GROUP],
  [DAVE]: [DAVE, PLATFORM_ADMIN_GROUP],
  [ERIN]: [ERIN, OWNER_GROUP, APPROVER_GROUP],
};

/** Request headers of a signed-in user. */
export const as = (user: string) => ({
  Authorization: `Bearer ${mockCredentials.user.token(user)}`,
});
