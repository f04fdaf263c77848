import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { MiddlewareInstanceEntityProvider } from './MiddlewareInstanceEntityProvider';

/**
 * Catalog module: every middleware instance as a `Resource` of its template's category
 * that its service and the services bound to it depend on, read from the Middleware
 * store's `GET /instances` every 10 seconds (one backend replica at a time: the task's
 * scope is global).
 *
 * Why a short schedule rather than a signal: Backstage Signals reach browsers, not
 * other backend plugins, and an event from the Middleware store would still need this
 * schedule behind it for a restart or a replica that missed it. One list of the
 * instance table every 10 seconds is cheap (a query of at most a few thousand rows),
 * and the catalog writes only the entities whose content changed, so a creation, a
 * binding or a purge shows on the catalog graph within seconds.
 */
export const catalogModuleK2MiddlewareInstances = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'k2-middleware-instances',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        scheduler: coreServices.scheduler,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        catalogService: catalogServiceRef,
      },
      async init({
        catalog,
        scheduler,
        auth,
        discovery,
        logger,
        config,
        catalogService,
      }) {
        const provider = new MiddlewareInstanceEntityProvider({
          auth,
          discovery,
          catalog: catalogService,
          logger,
          appBaseUrl: config.getOptionalString('app.baseUrl'),
        });
        catalog.addEntityProvider(provider);
        await scheduler.scheduleTask({
          id: 'k2-middleware-instances-to-catalog',
          frequency: { seconds: 10 },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: () => provider.run(),
        });
      },
    });
  },
});
