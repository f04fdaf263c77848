import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read a service's runtime view: workloads, pods and warning events in every cluster of
 * its environments. A resource permission on the catalog entity, so a policy can decide
 * per service (for example with the catalog's `isEntityOwner` rule); the default policy
 * allows every signed-in user.
 */
export const k2ServiceRuntimeReadPermission = createPermission({
  name: 'k2.service.runtime.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read the health of K2's cluster connections (sync state, errors, cached object
 * counts). Allowed to every signed-in user by the default policy.
 */
export const k2ClustersReadPermission = createPermission({
  name: 'k2.clusters.read',
  attributes: { action: 'read' },
});

/** Every permission K2 defines, for registration with the permission framework. */
export const k2Permissions = [
  k2ServiceRuntimeReadPermission,
  k2ClustersReadPermission,
];
