import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceIndexServiceRef,
} from '@internal/plugin-k2-node';
import { createRouter } from './router';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';

/** K2's Deploy backend: for now, the service runtime view from the watch caches. */
export const k2DeployPlugin = createBackendPlugin({
  pluginId: 'k2-deploy',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        services: k2ServiceIndexServiceRef,
        access: k2ClusterAccessServiceRef,
        environments: k2EnvironmentsServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const runtime = new ServiceRuntimeService(deps);
        deps.httpRouter.use(await createRouter({ ...deps, runtime }));
      },
    });
  },
});
