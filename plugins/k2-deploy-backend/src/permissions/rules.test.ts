import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createConditionExports,
  createConditionAuthorizer,
} from '@backstage/plugin-permission-node';
import {
  createK2ReleaseConditionalDecision,
  k2ReleaseApprovePermission,
  k2ReleaseConditions,
} from '@internal/plugin-k2-common';
import {
  K2ReleaseResource,
  k2ReleaseResourceRef,
  k2ReleaseRules,
} from './rules';

/**
 * Policies build release conditions with the plain builders of k2-common (so the
 * policy module does not depend on this backend); these tests keep those builders and
 * the rules registered here in step.
 */
describe('release permission rules', () => {
  const own = createConditionExports({
    resourceRef: k2ReleaseResourceRef,
    rules: k2ReleaseRules,
  });

  it('has a rule for every condition builder in k2-common, and no other', () => {
    expect(Object.keys(k2ReleaseConditions).sort()).toEqual(
      Object.keys(k2ReleaseRules).sort(),
    );
  });

  it('builds the same conditions as the rules registered here', () => {
    const claims = ['user:default/carol', 'group:default/release-approvers'];
    expect(k2ReleaseConditions.isEnvironmentApprover({ claims })).toEqual(
      own.conditions.isEnvironmentApprover({ claims }),
    );
    expect(
      k2ReleaseConditions.isRequester({ userEntityRef: 'user:default/erin' }),
    ).toEqual(
      own.conditions.isRequester({ userEntityRef: 'user:default/erin' }),
    );
    expect(
      createK2ReleaseConditionalDecision(
        k2ReleaseApprovePermission,
        k2ReleaseConditions.isRequester({ userEntityRef: 'user:default/erin' }),
      ),
    ).toEqual(
      own.createConditionalDecision(
        k2ReleaseApprovePermission,
        own.conditions.isRequester({ userEntityRef: 'user:default/erin' }),
      ),
    );
  });

  it('decides the conditions a policy builds with k2-common on a release', () => {
    const authorize = createConditionAuthorizer(Object.values(k2ReleaseRules));
    const release: K2ReleaseResource = {
      id: 'r1',
      service: 'component:default/payment-gateway',
      environment: 'prod',
      createdBy: 'user:default/erin',
      approverGroup: 'group:default/release-approvers',
    };
    const fourEyes = (user: string, claims: string[]) =>
      createK2ReleaseConditionalDecision(k2ReleaseApprovePermission, {
        allOf: [
          k2ReleaseConditions.isEnvironmentApprover({ claims }),
          { not: k2ReleaseConditions.isRequester({ userEntityRef: user }) },
        ],
      });
    expect(
      authorize(
        fourEyes('user:default/carol', [
          'user:default/carol',
          'group:default/release-approvers',
        ]),
        release,
      ),
    ).toBe(true);
    // The requester, though an approver, does not decide their own release.
    expect(
      authorize(
        fourEyes('user:default/erin', [
          'user:default/erin',
          'group:default/release-approvers',
        ]),
        release,
      ),
    ).toBe(false);
    // Not an approver of this environment.
    expect(
      authorize(
        fourEyes('user:default/bob', ['user:default/bob', 'group:default/x']),
        release,
      ),
    ).toBe(false);
    expect(authorize({ result: AuthorizeResult.ALLOW }, release)).toBe(true);
  });
});
