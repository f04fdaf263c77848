import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  PermissionCondition,
  PermissionCriteria,
  PermissionRuleParams,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE,
  RESOURCE_TYPE_K2_RELEASE,
  RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE,
} from './resourceTypes';

/**
 * Resource types of changes that wait for approval, and the backend plugin that holds
 * them and so evaluates conditions on them: releases (Deploy) and site changes
 * (Traffic). Both register the same two rules under the same names.
 */
export const K2_APPROVAL_RESOURCE_PLUGINS = {
  [RESOURCE_TYPE_K2_RELEASE]: 'k2-deploy',
  [RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE]: 'k2-traffic',
  [RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE]: 'k2-middleware-store',
} as const;

/** A resource type whose items wait for approval. */
export type K2ApprovalResourceType = keyof typeof K2_APPROVAL_RESOURCE_PLUGINS;

/** A condition on a change waiting for approval, decided by the plugin holding it. */
export type K2ApprovalCondition<
  TResourceType extends K2ApprovalResourceType = K2ApprovalResourceType,
  TParams extends PermissionRuleParams = PermissionRuleParams,
> = PermissionCondition<TResourceType, TParams>;

/** A condition on a release, decided by the Deploy backend (pluginId `k2-deploy`). */
export type K2ReleaseCondition<
  TParams extends PermissionRuleParams = PermissionRuleParams,
> = K2ApprovalCondition<typeof RESOURCE_TYPE_K2_RELEASE, TParams>;

/**
 * The rules every plugin holding changes that wait for approval registers for its
 * resource type, by name. The plugins evaluate these names (a test in each keeps its
 * rules and these builders in step); a policy builds conditions with
 * {@link k2ApprovalConditions} without depending on those plugins.
 */
export const K2_APPROVAL_RULE_NAMES = {
  isEnvironmentApprover: 'IS_ENVIRONMENT_APPROVER',
  isRequester: 'IS_REQUESTER',
} as const;

/**
 * Conditions on a change of `resourceType` waiting for approval, for a permission
 * policy. They are plain data; the plugin holding the change applies them to the one
 * the request names.
 */
export function k2ApprovalConditions<T extends K2ApprovalResourceType>(
  resourceType: T,
) {
  return {
    /** The user (any of their claims) is in the approver group of the change's environment. */
    isEnvironmentApprover(params: {
      claims: string[];
    }): K2ApprovalCondition<T, { claims: string[] }> {
      return {
        rule: K2_APPROVAL_RULE_NAMES.isEnvironmentApprover,
        resourceType,
        params,
      };
    },
    /** The change was asked for by this user. */
    isRequester(params: {
      userEntityRef: string;
    }): K2ApprovalCondition<T, { userEntityRef: string }> {
      return {
        rule: K2_APPROVAL_RULE_NAMES.isRequester,
        resourceType,
        params,
      };
    },
  };
}

/**
 * Conditions on a release for a permission policy, e.g.
 * `createK2ReleaseConditionalDecision(permission, k2ReleaseConditions.isEnvironmentApprover({ claims }))`.
 */
export const k2ReleaseConditions = k2ApprovalConditions(
  RESOURCE_TYPE_K2_RELEASE,
);

/**
 * A conditional decision on a change waiting for approval: the permission framework
 * has the plugin holding it (see {@link K2_APPROVAL_RESOURCE_PLUGINS}) evaluate
 * `conditions` on the change the request names.
 */
export function createK2ApprovalConditionalDecision<
  T extends K2ApprovalResourceType,
>(
  permission: ResourcePermission<T>,
  conditions: PermissionCriteria<K2ApprovalCondition<T>>,
): ConditionalPolicyDecision {
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: K2_APPROVAL_RESOURCE_PLUGINS[permission.resourceType],
    resourceType: permission.resourceType,
    conditions,
  };
}

/** A conditional decision on a release, evaluated by the Deploy backend. */
export function createK2ReleaseConditionalDecision(
  permission: ResourcePermission<typeof RESOURCE_TYPE_K2_RELEASE>,
  conditions: PermissionCriteria<K2ReleaseCondition>,
): ConditionalPolicyDecision {
  return createK2ApprovalConditionalDecision(permission, conditions);
}
