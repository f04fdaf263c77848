import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ClusterAccessServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { readConfigRetention } from './config/readConfigRetention';
import { DatabaseConfigStore } from './database/DatabaseConfigStore';
import { ConfigFileService } from './files/ConfigFileService';
import { ReleaseMounts } from './mounts/ReleaseMounts';
import { ConfigObjects } from './objects/ConfigObjects';
import { ConfigRetentionTask } from './retention/ConfigRetentionTask';
import { createRouter } from './router';

/**
 * K2's Config backend: config files per service and environment, each save an
 * immutable, content-hashed ConfigMap (a Secret when sensitive) in every cluster of
 * the environment, recorded as a version; old versions' objects are collected on a
 * schedule unless a current or retained release mounts them.
 */
export const k2ConfigPlugin = createBackendPlugin({
  pluginId: 'k2-config',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
        signals: signalsServiceRef,
        gate: k2ActionGateServiceRef,
        resolver: k2ServiceResolverServiceRef,
        access: k2ClusterAccessServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const retention = readConfigRetention(deps.config);
        const store = await DatabaseConfigStore.create(deps);
        const objects = new ConfigObjects(deps);
        const mounts = new ReleaseMounts(deps);
        const files = new ConfigFileService({
          ...deps,
          store,
          objects,
          mounts,
        });
        const task = new ConfigRetentionTask({
          ...deps,
          store,
          objects,
          mounts,
          retention,
        });
        await deps.scheduler.scheduleTask({
          id: 'k2-config-retention',
          scope: 'global',
          frequency: { milliseconds: retention.frequencyMs },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const result = await task.run();
            if (result.collected > 0) {
              deps.logger.info(
                `Config retention collected ${result.collected} versions (${result.objectsDeleted} objects); ${result.mounted} kept for the releases mounting them`,
              );
            }
          },
        });
        deps.httpRouter.use(await createRouter({ ...deps, files }));
      },
    });
  },
});
