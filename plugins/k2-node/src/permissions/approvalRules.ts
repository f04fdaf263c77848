import {
  createPermissionRule,
  PermissionResourceRef,
} from '@backstage/plugin-permission-node';
import { K2_APPROVAL_RULE_NAMES } from '@internal/plugin-k2-common';

/** A change that waits for approval (a release, a site change), as K2's rules see it. */
export interface K2ApprovableChange {
  id: string;
  /** The service's entity ref. */
  service: string;
  environment: string;
  /** Who asked for the change (an entity ref, or `service:<subject>`). */
  createdBy: string;
  /** The environment's approver group, when it has one. */
  approverGroup?: string;
}

/**
 * Filters over changes. K2 decides approvals one change at a time and never lists
 * changes by a permission condition, so the criteria only name what a rule compares.
 */
export type K2ApprovalQuery =
  | { approverGroupIn: string[] }
  | { createdBy: string };

/**
 * The approval rules K2's policy names for every change that waits for approval
 * (`k2ApprovalConditions` in `@internal/plugin-k2-common`), for one resource type:
 * the caller is in the approver group of the change's environment; the change was
 * asked for by the given user. `noun` names the change in the rules' descriptions.
 */
export function createK2ApprovalRules<
  TResourceType extends string,
  TPluginId extends string,
>(
  resourceRef: PermissionResourceRef<
    K2ApprovableChange,
    K2ApprovalQuery,
    TResourceType,
    TPluginId
  >,
  noun: string,
) {
  const { resourceType } = resourceRef;
  return {
    isEnvironmentApprover: createPermissionRule<
      K2ApprovableChange,
      K2ApprovalQuery,
      TResourceType,
      { claims: string[] }
    >({
      name: K2_APPROVAL_RULE_NAMES.isEnvironmentApprover,
      description: `Allow members of the approver group of the ${noun}'s environment`,
      resourceType,
      apply: (change, { claims }) =>
        change.approverGroup !== undefined &&
        claims.includes(change.approverGroup),
      toQuery: ({ claims }) => ({ approverGroupIn: claims }),
    }),
    isRequester: createPermissionRule<
      K2ApprovableChange,
      K2ApprovalQuery,
      TResourceType,
      { userEntityRef: string }
    >({
      name: K2_APPROVAL_RULE_NAMES.isRequester,
      description: `Match ${noun}s the given user asked for`,
      resourceType,
      apply: (change, { userEntityRef }) => change.createdBy === userEntityRef,
      toQuery: ({ userEntityRef }) => ({ createdBy: userEntityRef }),
    }),
  };
}
