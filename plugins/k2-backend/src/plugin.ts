import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ClusterAccessServiceRef,
} from '@internal/plugin-k2-node';
import { DatabaseActivityStore } from './database/DatabaseActivityStore';
import { createRouter } from './router';

/**
 * K2's core backend plugin (`k2`): owns the activity log every K2 capability writes to
 * (through `k2ActivityLogServiceRef` of `@internal/plugin-k2-node`) and serves the
 * health of K2's cluster connections. It registers K2's permissions, so the permission
 * framework knows them even when a capability plugin is not installed.
 */
export const k2Plugin = createBackendPlugin({
  pluginId: 'k2',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        logger: coreServices.logger,
        database: coreServices.database,
        permissionsRegistry: coreServices.permissionsRegistry,
        gate: k2ActionGateServiceRef,
        access: k2ClusterAccessServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const activity = await DatabaseActivityStore.create(deps);
        deps.httpRouter.use(await createRouter({ ...deps, activity }));
      },
    });
  },
});
