import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { k2ActivityLogServiceRef } from '../activity';
import { k2EnvironmentsServiceRef } from '../environments';
import { K2ActionGate } from './K2ActionGate';

/** The action gate of the plugin that asks: permission, audit and activity in one step. */
export const k2ActionGateServiceRef: ServiceRef<
  K2ActionGate,
  'plugin',
  'singleton'
> = createServiceRef<K2ActionGate>({
  id: 'k2.action-gate',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        permissions: coreServices.permissions,
        auditor: coreServices.auditor,
        activity: k2ActivityLogServiceRef,
        environments: k2EnvironmentsServiceRef,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
      },
      factory: deps => new K2ActionGate(deps),
    }),
});
