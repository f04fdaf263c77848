import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { readDurationFromConfig } from '@backstage/config';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  DEFAULT_SERVICE_INDEX_REFRESH,
  K2ServiceIndex,
} from './K2ServiceIndex';

const REFRESH_KEY = 'k2.serviceIndex.refreshInterval';

/**
 * The catalog's K2 services held in memory, one index per plugin that asks for it. It
 * starts refreshing once the backend has started (the catalog answers only then); until
 * the first refresh, lookups go to the catalog.
 */
export const k2ServiceIndexServiceRef: ServiceRef<
  K2ServiceIndex,
  'plugin',
  'singleton'
> = createServiceRef<K2ServiceIndex>({
  id: 'k2.service-index',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
      },
      factory({ config, catalog, auth, logger, scheduler, lifecycle }) {
        const frequency = config.has(REFRESH_KEY)
          ? readDurationFromConfig(config, { key: REFRESH_KEY })
          : DEFAULT_SERVICE_INDEX_REFRESH;
        const index = new K2ServiceIndex({ catalog, auth, logger });
        lifecycle.addStartupHook(() =>
          index.schedule({ scheduler, frequency }),
        );
        return index;
      },
    }),
});
