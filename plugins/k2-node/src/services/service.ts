import {
  createServiceFactory,
  createServiceRef,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { k2ServiceIndexServiceRef } from '../catalog';
import { k2ClusterAccessServiceRef } from '../clusters';
import { k2EnvironmentsServiceRef } from '../environments';
import { K2ServiceResolver } from './K2ServiceResolver';

/** Service resolution for the plugin that asks, over its service index. */
export const k2ServiceResolverServiceRef: ServiceRef<
  K2ServiceResolver,
  'plugin',
  'singleton'
> = createServiceRef<K2ServiceResolver>({
  id: 'k2.service-resolver',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        services: k2ServiceIndexServiceRef,
        environments: k2EnvironmentsServiceRef,
        access: k2ClusterAccessServiceRef,
      },
      factory: deps => new K2ServiceResolver(deps),
    }),
});
