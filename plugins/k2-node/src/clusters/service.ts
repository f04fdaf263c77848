import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  ServiceFactory,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { k2EnvironmentsServiceRef } from '../environments';
import { K2ClusterAccess } from './K2ClusterAccess';

/**
 * The cluster access layer, one per backend: every K2 plugin reads the same watch caches.
 * Watches start when the backend starts and stop when it shuts down.
 */
export const k2ClusterAccessServiceRef: ServiceRef<
  K2ClusterAccess,
  'root',
  'singleton'
> = createServiceRef<K2ClusterAccess>({
  id: 'k2.cluster-access',
  scope: 'root',
  // Resolved lazily, so referring to the factory declared below is safe.
  // eslint-disable-next-line @typescript-eslint/no-use-before-define
  defaultFactory: async () => k2ClusterAccessServiceFactory,
});

export const k2ClusterAccessServiceFactory: ServiceFactory<
  K2ClusterAccess,
  'root',
  'singleton'
> = createServiceFactory({
  service: k2ClusterAccessServiceRef,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.rootLogger,
    lifecycle: coreServices.rootLifecycle,
    environments: k2EnvironmentsServiceRef,
  },
  factory({ config, logger, lifecycle, environments }) {
    const access = K2ClusterAccess.fromConfig({
      config,
      model: environments.model,
      logger,
    });
    lifecycle.addStartupHook(() => access.start());
    lifecycle.addShutdownHook(() => access.stop());
    return access;
  },
});
