import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { VolumeEntityProvider } from './VolumeEntityProvider';

/**
 * Catalog module: every volume K2 made as a `Resource` of type `volume` its service
 * depends on, read from the Storage API once a minute (one backend replica at a time:
 * the task's scope is global).
 */
export const catalogModuleK2Volumes = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'k2-volumes',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
        catalogService: catalogServiceRef,
      },
      async init({
        catalog,
        scheduler,
        auth,
        discovery,
        logger,
        catalogService,
      }) {
        const provider = new VolumeEntityProvider({
          auth,
          discovery,
          catalog: catalogService,
          logger,
        });
        catalog.addEntityProvider(provider);
        await scheduler.scheduleTask({
          id: 'k2-volumes-to-catalog',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: () => provider.run(),
        });
      },
    });
  },
});
