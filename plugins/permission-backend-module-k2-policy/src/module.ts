import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { k2EnvironmentsServiceRef } from '@internal/plugin-k2-node';
import { K2PermissionPolicy } from './K2PermissionPolicy';

/** Installs {@link K2PermissionPolicy} as the backend's permission policy. */
export const permissionModuleK2Policy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'k2-policy',
  register(env) {
    env.registerInit({
      deps: {
        policy: policyExtensionPoint,
        environments: k2EnvironmentsServiceRef,
        config: coreServices.rootConfig,
      },
      async init({ policy, environments, config }) {
        policy.setPolicy(
          new K2PermissionPolicy({
            platformAdminGroup: environments.model.platformAdminGroup,
            // Four eyes by default: a requester never decides their own release.
            requesterMayApprove:
              config.getOptionalBoolean('k2.approvals.requesterMayApprove') ??
              false,
          }),
        );
      },
    });
  },
});
