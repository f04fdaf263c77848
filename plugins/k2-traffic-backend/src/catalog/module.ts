import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { TrafficSiteEntityProvider } from './TrafficSiteEntityProvider';

/**
 * Catalog module: every published Nginx site as a `Resource` of type `nginx-site`
 * its service depends on, read from the Traffic API once a minute (one backend
 * replica at a time: the task's scope is global).
 */
export const catalogModuleK2TrafficSites = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'k2-traffic-sites',
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
        const provider = new TrafficSiteEntityProvider({
          auth,
          discovery,
          catalog: catalogService,
          logger,
        });
        catalog.addEntityProvider(provider);
        await scheduler.scheduleTask({
          id: 'k2-traffic-sites-to-catalog',
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
