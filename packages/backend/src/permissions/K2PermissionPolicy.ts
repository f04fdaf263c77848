import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  k2OwnerPermissions,
  k2ReleaseApprovePermission,
} from '@internal/plugin-k2-common';
import {
  createK2ReleaseConditionalDecision,
  k2ReleaseConditions,
} from '@internal/plugin-k2-deploy-backend';

const OWNER_ONLY = new Set(k2OwnerPermissions.map(p => p.name));

/**
 * K2's permission policy:
 * - releasing, rolling back, scaling and restarting a service is for its owners (the
 *   catalog's `isEntityOwner`, evaluated by the catalog) and platform admins;
 * - approving or rejecting a release is for members of the approver group of the
 *   release's environment (a condition the Deploy backend evaluates on the release)
 *   and platform admins;
 * - everything else, reading included, is allowed to signed-in users.
 */
export class K2PermissionPolicy implements PermissionPolicy {
  constructor(private readonly options: { platformAdminGroup?: string }) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const approving = permission.name === k2ReleaseApprovePermission.name;
    if (!OWNER_ONLY.has(permission.name) && !approving) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    const admins = this.options.platformAdminGroup;
    if (admins && claims.includes(admins)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (approving) {
      // Only people approve; services and unknown callers never do.
      if (!user || !isResourcePermission(permission, 'k2-release')) {
        return { result: AuthorizeResult.DENY };
      }
      return createK2ReleaseConditionalDecision(
        permission,
        k2ReleaseConditions.isEnvironmentApprover({ claims }),
      );
    }
    if (!user || !isResourcePermission(permission, 'catalog-entity')) {
      return { result: AuthorizeResult.DENY };
    }
    return createCatalogConditionalDecision(
      permission,
      catalogConditions.isEntityOwner({ claims }),
    );
  }
}
