import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceIndexServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { readStorageConfig } from './config/readStorageConfig';
import { createRouter } from './router';
import { StorageSignalPublisher } from './signals/StorageSignalPublisher';
import { DeployMounts } from './volumes/DeployMounts';
import { StorageClasses } from './volumes/StorageClasses';
import { VolumeService } from './volumes/VolumeService';
import { VolumeUsage } from './volumes/VolumeUsage';

/**
 * K2's Storage backend: a service's volumes (PVCs) per environment, from the storage
 * classes the environment offers, in every cluster of the environment. It keeps no
 * table: the clusters are the record of volumes, and Deploy says which releases mount
 * them.
 */
export const k2StoragePlugin = createBackendPlugin({
  pluginId: 'k2-storage',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        permissionsRegistry: coreServices.permissionsRegistry,
        gate: k2ActionGateServiceRef,
        resolver: k2ServiceResolverServiceRef,
        environments: k2EnvironmentsServiceRef,
        access: k2ClusterAccessServiceRef,
        services: k2ServiceIndexServiceRef,
        signals: signalsServiceRef,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const config = readStorageConfig(deps.config, deps.environments.model);
        const volumes = new VolumeService({
          ...deps,
          config,
          classes: new StorageClasses({ access: deps.access, config }),
          usage: new VolumeUsage({ access: deps.access }),
          mounts: new DeployMounts(deps),
        });
        // Open Storage tabs refetch when a volume's PVC or its events change.
        const publisher = new StorageSignalPublisher(deps);
        const unsubscribe = deps.access.subscribe(change =>
          publisher.notify(change),
        );
        deps.lifecycle.addShutdownHook(() => {
          unsubscribe();
          publisher.stop();
        });
        deps.httpRouter.use(await createRouter({ ...deps, volumes }));
      },
    });
  },
});
