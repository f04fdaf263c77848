import {
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogEntityValidatePermission,
  catalogIngestionManagePermission,
  catalogIngestionReadPermission,
  catalogLocationAnalyzePermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
} from '@backstage/plugin-catalog-common/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  kubernetesClustersReadPermission,
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import {
  AuthorizeResult,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  actionExecutePermission,
  taskCancelPermission,
  taskCreatePermission,
  taskReadPermission,
  templateDryRunPermission,
  templateManagementPermission,
  templateParameterReadPermission,
  templateStepReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  createK2ApprovalConditionalDecision,
  K2_APPROVAL_RESOURCE_PLUGINS,
  K2ApprovalResourceType,
  k2ActivityReadPermission,
  k2ApprovalConditions,
  k2CanaryStartApprovedPermission,
  k2ClustersReadPermission,
  k2InstanceLogsReadPermission,
  k2OwnerPermissions,
  k2ReleaseApprovePermission,
  k2ReleaseReadPermission,
  k2ServiceRuntimeReadPermission,
  k2TrafficClustersReadPermission,
  k2TrafficSiteApprovePermission,
  k2TrafficSiteReadPermission,
  k2VolumeReadPermission,
  k2ConfigReadPermission,
  k2AlertReadPermission,
  k2AlertTemplateManagePermission,
  k2AlertTeamManagePermission,
  k2AlertClusterReadPermission,
  k2MiddlewareApprovePermission,
  k2MiddlewareReadPermission,
  k2MiddlewareStoreReadPermission,
  k2InstanceExecPermission,
  k2ShellSessionReadPermission,
  k2BuildReadPermission,
} from '@internal/plugin-k2-common';

/**
 * Who gets a permission:
 * - `signed-in`: every signed-in user;
 * - `owners`: the owners of the catalog entity the request is about (the catalog's
 *   `isEntityOwner`, evaluated by the catalog) and platform admins;
 * - `owners-only`: the owners of the entity alone: platform admins too only where
 *   they own it (a shell into a service's containers);
 * - `approvers`: members of the approver group of the change's environment, never
 *   the change's own requester (evaluated by the plugin holding the change: Deploy for
 *   releases, Traffic for site changes, the Middleware store for instances), and
 *   platform admins (also not for their own changes);
 * - `admins`: platform admins only.
 */
export type K2Audience =
  | 'signed-in'
  | 'owners'
  | 'owners-only'
  | 'approvers'
  | 'admins';

/**
 * Every permission K2's policy decides, and for whom. A permission not listed here is
 * denied to everyone, platform admins included: a plugin added to the backend gets
 * nothing until it is decided here (and in docs/permissions.md).
 */
export const k2PolicyTable: ReadonlyArray<{
  permission: Permission;
  audience: K2Audience;
}> = [
  // K2: reads for everyone, changes for owners, approvals for approvers.
  ...[
    k2ServiceRuntimeReadPermission,
    k2ClustersReadPermission,
    k2ReleaseReadPermission,
    k2ActivityReadPermission,
    k2InstanceLogsReadPermission,
    k2TrafficSiteReadPermission,
    k2TrafficClustersReadPermission,
    k2VolumeReadPermission,
    k2ConfigReadPermission,
    k2AlertReadPermission,
    k2MiddlewareStoreReadPermission,
    k2MiddlewareReadPermission,
    k2BuildReadPermission,
    // The Alerts backend lets only a team's members change their team's settings.
    k2AlertTeamManagePermission,
  ].map(permission => ({ permission, audience: 'signed-in' as const })),
  ...k2OwnerPermissions.map(permission => ({
    permission,
    audience: 'owners' as const,
  })),
  { permission: k2ReleaseApprovePermission, audience: 'approvers' },
  { permission: k2TrafficSiteApprovePermission, audience: 'approvers' },
  { permission: k2MiddlewareApprovePermission, audience: 'approvers' },
  // A canary reaches users without an approver: where releases need approval, only
  // platform admins start one (promoting it is a release, approved as any).
  { permission: k2CanaryStartApprovedPermission, audience: 'admins' },
  // Templates and raw PromQL decide what every service's rules compile to.
  { permission: k2AlertTemplateManagePermission, audience: 'admins' },
  { permission: k2AlertClusterReadPermission, audience: 'admins' },
  // A shell runs commands inside a service's containers: its owners only. Admins read
  // the recorded sessions instead.
  { permission: k2InstanceExecPermission, audience: 'owners-only' },
  { permission: k2ShellSessionReadPermission, audience: 'admins' },

  // Catalog: everyone reads and refreshes; the Create button (it leads to the
  // scaffolder) for everyone; registering and unregistering for admins; deleting an
  // entity for its owners and admins.
  { permission: catalogEntityReadPermission, audience: 'signed-in' },
  { permission: catalogEntityRefreshPermission, audience: 'signed-in' },
  { permission: catalogEntityCreatePermission, audience: 'signed-in' },
  { permission: catalogEntityDeletePermission, audience: 'owners' },
  { permission: catalogEntityValidatePermission, audience: 'admins' },
  { permission: catalogLocationReadPermission, audience: 'admins' },
  { permission: catalogLocationCreatePermission, audience: 'admins' },
  { permission: catalogLocationDeletePermission, audience: 'admins' },
  { permission: catalogLocationAnalyzePermission, audience: 'admins' },
  { permission: catalogIngestionReadPermission, audience: 'admins' },
  { permission: catalogIngestionManagePermission, audience: 'admins' },

  // Stock Kubernetes plugin: the Kubernetes tab reads for everyone; the proxy
  // forwards with K2's own service-account token, so only admins.
  { permission: kubernetesClustersReadPermission, audience: 'signed-in' },
  { permission: kubernetesResourcesReadPermission, audience: 'signed-in' },
  { permission: kubernetesProxyPermission, audience: 'admins' },

  // Scaffolder: running templates for everyone, managing them for admins.
  { permission: taskCreatePermission, audience: 'signed-in' },
  { permission: taskReadPermission, audience: 'signed-in' },
  { permission: taskCancelPermission, audience: 'signed-in' },
  { permission: actionExecutePermission, audience: 'signed-in' },
  { permission: templateParameterReadPermission, audience: 'signed-in' },
  { permission: templateStepReadPermission, audience: 'signed-in' },
  { permission: templateDryRunPermission, audience: 'admins' },
  { permission: templateManagementPermission, audience: 'admins' },
];

const AUDIENCE = new Map(
  k2PolicyTable.map(({ permission, audience }) => [permission.name, audience]),
);

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

/** How K2's policy is set up (`k2.platformAdminGroup`, `k2.approvals.*`). */
export interface K2PermissionPolicyOptions {
  /** Members of this group are platform admins. */
  platformAdminGroup?: string;
  /**
   * Whether the requester of a release may approve or reject it themselves
   * (`k2.approvals.requesterMayApprove`). Defaults to false: four eyes, admins included.
   */
  requesterMayApprove?: boolean;
}

/**
 * K2's permission policy, decided by {@link k2PolicyTable}: anonymous callers get
 * nothing, and neither does anyone for a permission the table does not list.
 * (Backend plugins calling with their own service credentials never reach a policy.)
 */
export class K2PermissionPolicy implements PermissionPolicy {
  constructor(private readonly options: K2PermissionPolicyOptions) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const audience = AUDIENCE.get(permission.name);
    if (!audience || !user) {
      return DENY;
    }
    const claims = user.info.ownershipEntityRefs;
    const { platformAdminGroup } = this.options;
    const admin =
      platformAdminGroup !== undefined && claims.includes(platformAdminGroup);
    switch (audience) {
      case 'signed-in':
        return ALLOW;
      case 'admins':
        return admin ? ALLOW : DENY;
      case 'owners':
      case 'owners-only':
        if (admin && audience === 'owners') return ALLOW;
        if (!isResourcePermission(permission, 'catalog-entity')) return DENY;
        return createCatalogConditionalDecision(
          permission,
          catalogConditions.isEntityOwner({ claims }),
        );
      case 'approvers':
        return this.#approve(permission, user, admin);
      default:
        return DENY;
    }
  }

  /**
   * Approving or rejecting a change waiting for approval (a release, a site change, a
   * middleware instance):
   * four eyes unless the config allows otherwise, one rule for every kind of change.
   */
  #approve(
    permission: Permission,
    user: PolicyQueryUser,
    admin: boolean,
  ): PolicyDecision {
    if (
      !isResourcePermission(permission) ||
      !Object.hasOwn(K2_APPROVAL_RESOURCE_PLUGINS, permission.resourceType)
    ) {
      return DENY;
    }
    const changes = permission as typeof permission & {
      resourceType: K2ApprovalResourceType;
    };
    const conditions = k2ApprovalConditions(changes.resourceType);
    const { userEntityRef, ownershipEntityRefs: claims } = user.info;
    const approver = conditions.isEnvironmentApprover({ claims });
    if (this.options.requesterMayApprove) {
      return admin
        ? ALLOW
        : createK2ApprovalConditionalDecision(changes, approver);
    }
    const notRequester = { not: conditions.isRequester({ userEntityRef }) };
    return createK2ApprovalConditionalDecision(
      changes,
      admin ? notRequester : { allOf: [approver, notRequester] },
    );
  }
}
