import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  k2ReleaseApprovePermission,
  k2ReleaseCreatePermission,
  k2ReleaseReadPermission,
  k2ServiceRestartPermission,
  k2ServiceScalePermission,
} from '@internal/plugin-k2-common';
import { K2PermissionPolicy } from './K2PermissionPolicy';

const policy = new K2PermissionPolicy({
  platformAdminGroup: 'group:default/platform-admins',
});
const user = (...ownershipEntityRefs: string[]) => ({
  identity: {
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0],
    ownershipEntityRefs,
  },
  info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
  token: 'token',
  credentials: {} as any,
});

describe('K2PermissionPolicy', () => {
  it.each([
    k2ReleaseCreatePermission,
    k2ServiceScalePermission,
    k2ServiceRestartPermission,
  ])(
    'gives $name to the owners of the service, as the catalog decides',
    async permission => {
      const alice = user('user:default/alice', 'group:default/payments-team');
      expect(await policy.handle({ permission }, alice)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: {
            claims: ['user:default/alice', 'group:default/payments-team'],
          },
        },
      });
    },
  );

  it('gives every mutating action to platform admins outright', async () => {
    const dave = user('user:default/dave', 'group:default/platform-admins');
    for (const permission of [
      k2ReleaseCreatePermission,
      k2ServiceScalePermission,
      k2ServiceRestartPermission,
    ]) {
      expect((await policy.handle({ permission }, dave)).result).toBe(
        AuthorizeResult.ALLOW,
      );
    }
  });

  it('denies owner-only actions without a user, and lets signed-in users read', async () => {
    expect(
      (await policy.handle({ permission: k2ReleaseCreatePermission })).result,
    ).toBe(AuthorizeResult.DENY);
    const bob = user('user:default/bob', 'group:default/storefront-team');
    expect(
      (await policy.handle({ permission: k2ReleaseReadPermission }, bob))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('leaves approving to the approver group of the release’s environment, as the Deploy backend decides', async () => {
    const carol = user('user:default/carol', 'group:default/release-approvers');
    expect(
      await policy.handle({ permission: k2ReleaseApprovePermission }, carol),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'k2-deploy',
      resourceType: 'k2-release',
      conditions: {
        rule: 'IS_ENVIRONMENT_APPROVER',
        resourceType: 'k2-release',
        params: {
          claims: ['user:default/carol', 'group:default/release-approvers'],
        },
      },
    });
    const dave = user('user:default/dave', 'group:default/platform-admins');
    expect(
      (await policy.handle({ permission: k2ReleaseApprovePermission }, dave))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    // Services (and anonymous callers) never approve.
    expect(
      (await policy.handle({ permission: k2ReleaseApprovePermission })).result,
    ).toBe(AuthorizeResult.DENY);
  });
});
