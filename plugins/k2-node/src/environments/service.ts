import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  ServiceFactory,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { K2EnvironmentRegistry } from './K2EnvironmentRegistry';

/**
 * The K2 environment registry. Root-scoped and initialised at start-up, so a broken
 * `k2` config stops the backend with a message naming the key.
 */
export const k2EnvironmentsServiceRef: ServiceRef<
  K2EnvironmentRegistry,
  'root',
  'singleton'
> = createServiceRef<K2EnvironmentRegistry>({
  id: 'k2.environments',
  scope: 'root',
  // Resolved lazily, so referring to the factory declared below is safe.
  // eslint-disable-next-line @typescript-eslint/no-use-before-define
  defaultFactory: async () => k2EnvironmentsServiceFactory,
});

/** Add to the backend so the K2 config is validated even before a plugin asks for it. */
export const k2EnvironmentsServiceFactory: ServiceFactory<
  K2EnvironmentRegistry,
  'root',
  'singleton'
> = createServiceFactory({
  service: k2EnvironmentsServiceRef,
  deps: { config: coreServices.rootConfig },
  initialization: 'always',
  factory: ({ config }) => K2EnvironmentRegistry.fromConfig(config),
});
