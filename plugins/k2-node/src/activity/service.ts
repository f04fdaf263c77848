import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  ServiceRef,
} from '@backstage/backend-plugin-api';
import { HttpActivityLog, K2ActivityLog } from './K2ActivityLog';

/** The service activity log, written through the `k2` core plugin. */
export const k2ActivityLogServiceRef: ServiceRef<
  K2ActivityLog,
  'plugin',
  'singleton'
> = createServiceRef<K2ActivityLog>({
  id: 'k2.activity-log',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
      },
      factory: deps => new HttpActivityLog(deps),
    }),
});
