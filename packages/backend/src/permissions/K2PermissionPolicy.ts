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
import { k2OwnerPermissions } from '@internal/plugin-k2-common';

const OWNER_ONLY = new Set(k2OwnerPermissions.map(p => p.name));

/**
 * K2's permission policy:
 * - releasing, rolling back, scaling and restarting a service is for its owners (the
 *   catalog's `isEntityOwner`, evaluated by the catalog) and platform admins;
 * - everything else, reading included, is allowed to signed-in users. Approving is
 *   allowed here and then restricted by K2 to the environment's approver group, which
 *   only K2 knows.
 */
export class K2PermissionPolicy implements PermissionPolicy {
  constructor(private readonly options: { platformAdminGroup?: string }) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!OWNER_ONLY.has(permission.name)) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    const admins = this.options.platformAdminGroup;
    if (admins && claims.includes(admins)) {
      return { result: AuthorizeResult.ALLOW };
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
