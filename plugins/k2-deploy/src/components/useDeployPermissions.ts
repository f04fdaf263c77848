import {
  PermissionApi,
  usePermission,
} from '@backstage/plugin-permission-react';
import {
  k2CanaryStartApprovedPermission,
  k2InstanceManagePermission,
  k2ReleaseCreatePermission,
  k2ServiceRestartPermission,
  k2ServiceScalePermission,
} from '@internal/plugin-k2-common';
import { preload } from 'swr';

/** What the Deploy tab asks the permission backend about the service. */
const deployPermissions = {
  release: k2ReleaseCreatePermission,
  // Platform admins: a canary where releases need approval.
  canaryWhereApproved: k2CanaryStartApprovedPermission,
  scale: k2ServiceScalePermission,
  restart: k2ServiceRestartPermission,
  manage: k2InstanceManagePermission,
};

/**
 * What the signed-in user may do on the service's Deploy tab, each asked of the
 * permission backend for the service's entity (one batch; `usePermission` keeps the
 * answers by permission and entity for the page's lifetime).
 */
export function useDeployPermissions(resourceRef: string) {
  const { release, canaryWhereApproved, scale, restart, manage } =
    deployPermissions;
  return {
    release: usePermission({ permission: release, resourceRef }),
    canaryWhereApproved: usePermission({
      permission: canaryWhereApproved,
      resourceRef,
    }),
    scale: usePermission({ permission: scale, resourceRef }),
    restart: usePermission({ permission: restart, resourceRef }),
    manage: usePermission({ permission: manage, resourceRef }),
  };
}

/**
 * Asks the questions of {@link useDeployPermissions} ahead of it, e.g. while the tab's
 * code loads: `usePermission` reads its answers through SWR, which takes a request
 * preloaded under the same key (the hook's own input) instead of making its own.
 * Asking again before the hook has read them reuses the requests under way. Were the
 * hook's key to change, the hook would ask again itself: slower, never wrong.
 */
export function preloadDeployPermissions(
  permissionApi: PermissionApi,
  resourceRef: string,
) {
  for (const permission of Object.values(deployPermissions)) {
    preload({ permission, resourceRef }, async () => {
      const { result } = await permissionApi.authorize({
        permission,
        resourceRef,
      });
      return result;
    });
  }
}
