import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { RESOURCE_TYPE_K2_RELEASE } from '@internal/plugin-k2-common';
import {
  createK2ApprovalRules,
  K2ApprovableChange,
  K2ApprovalQuery,
} from '@internal/plugin-k2-node';

/** A release as K2's permission rules see it. */
export type K2ReleaseResource = K2ApprovableChange;

/** Filters over releases (see {@link K2ApprovalQuery}). */
export type K2ReleaseQuery = K2ApprovalQuery;

/** Releases as a permission resource type, owned by the Deploy backend. */
export const k2ReleaseResourceRef = createPermissionResourceRef<
  K2ReleaseResource,
  K2ReleaseQuery
>().with({ pluginId: 'k2-deploy', resourceType: RESOURCE_TYPE_K2_RELEASE });

/**
 * Every rule of the release resource type, for registration. Policies build their
 * conditions with `k2ReleaseConditions` from `@internal/plugin-k2-common`, which names
 * these rules (rules.test.ts keeps the two in step).
 */
export const k2ReleaseRules = createK2ApprovalRules(
  k2ReleaseResourceRef,
  'release',
);
