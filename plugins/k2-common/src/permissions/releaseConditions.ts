import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  PermissionCondition,
  PermissionCriteria,
  PermissionRuleParams,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_K2_RELEASE } from './index';

/** A condition on a release, decided by the Deploy backend (pluginId `k2-deploy`). */
export type K2ReleaseCondition<
  TParams extends PermissionRuleParams = PermissionRuleParams,
> = PermissionCondition<typeof RESOURCE_TYPE_K2_RELEASE, TParams>;

/**
 * The rules the Deploy backend registers for the `k2-release` resource type, by name.
 * The Deploy backend evaluates these names (a test there keeps its rules and these
 * builders in step); a policy builds conditions with {@link k2ReleaseConditions}
 * without depending on the Deploy backend.
 */
export const K2_RELEASE_RULE_NAMES = {
  isEnvironmentApprover: 'IS_ENVIRONMENT_APPROVER',
  isRequester: 'IS_REQUESTER',
} as const;

/**
 * Conditions on a release for a permission policy, e.g.
 * `createK2ReleaseConditionalDecision(permission, k2ReleaseConditions.isEnvironmentApprover({ claims }))`.
 * They are plain data; the Deploy backend applies them to the release the request names.
 */
export const k2ReleaseConditions = {
  /** The user (any of their claims) is in the approver group of the release's environment. */
  isEnvironmentApprover(params: {
    claims: string[];
  }): K2ReleaseCondition<{ claims: string[] }> {
    return {
      rule: K2_RELEASE_RULE_NAMES.isEnvironmentApprover,
      resourceType: RESOURCE_TYPE_K2_RELEASE,
      params,
    };
  },
  /** The release was asked for by this user. */
  isRequester(params: {
    userEntityRef: string;
  }): K2ReleaseCondition<{ userEntityRef: string }> {
    return {
      rule: K2_RELEASE_RULE_NAMES.isRequester,
      resourceType: RESOURCE_TYPE_K2_RELEASE,
      params,
    };
  },
};

/**
 * A conditional decision on a release: the permission framework has the Deploy backend
 * (which owns releases) evaluate `conditions` on the release the request names.
 */
export function createK2ReleaseConditionalDecision(
  permission: ResourcePermission<typeof RESOURCE_TYPE_K2_RELEASE>,
  conditions: PermissionCriteria<K2ReleaseCondition>,
): ConditionalPolicyDecision {
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'k2-deploy',
    resourceType: permission.resourceType,
    conditions,
  };
}
