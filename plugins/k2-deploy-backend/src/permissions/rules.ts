import {
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import {
  K2_RELEASE_RULE_NAMES,
  RESOURCE_TYPE_K2_RELEASE,
} from '@internal/plugin-k2-common';

/** A release as K2's permission rules see it. */
export interface K2ReleaseResource {
  id: string;
  /** The service's entity ref. */
  service: string;
  environment: string;
  /** Who asked for the release (an entity ref, or `service:<subject>`). */
  createdBy: string;
  /** The environment's approver group, when it has one. */
  approverGroup?: string;
}

/**
 * Filters over releases. K2 decides approvals one release at a time and never lists
 * releases by a permission condition, so the criteria only name what a rule compares.
 */
export type K2ReleaseQuery =
  | { approverGroupIn: string[] }
  | { createdBy: string };

/** Releases as a permission resource type, owned by the Deploy backend. */
export const k2ReleaseResourceRef = createPermissionResourceRef<
  K2ReleaseResource,
  K2ReleaseQuery
>().with({ pluginId: 'k2-deploy', resourceType: RESOURCE_TYPE_K2_RELEASE });

/** The user is a member of the approver group of the release's environment. */
const isEnvironmentApprover = createPermissionRule<
  typeof k2ReleaseResourceRef,
  { claims: string[] }
>({
  name: K2_RELEASE_RULE_NAMES.isEnvironmentApprover,
  description:
    "Allow members of the approver group of the release's environment",
  resourceRef: k2ReleaseResourceRef,
  apply: (release, { claims }) =>
    release.approverGroup !== undefined &&
    claims.includes(release.approverGroup),
  toQuery: ({ claims }) => ({ approverGroupIn: claims }),
});

/** The release was asked for by this user. */
const isRequester = createPermissionRule<
  typeof k2ReleaseResourceRef,
  { userEntityRef: string }
>({
  name: K2_RELEASE_RULE_NAMES.isRequester,
  description: 'Match releases the given user asked for',
  resourceRef: k2ReleaseResourceRef,
  apply: (release, { userEntityRef }) => release.createdBy === userEntityRef,
  toQuery: ({ userEntityRef }) => ({ createdBy: userEntityRef }),
});

/**
 * Every rule of the release resource type, for registration. Policies build their
 * conditions with `k2ReleaseConditions` from `@internal/plugin-k2-common`, which names
 * these rules (rules.test.ts keeps the two in step).
 */
export const k2ReleaseRules = { isEnvironmentApprover, isRequester };
