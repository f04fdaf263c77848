import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { k2Permissions } from '@internal/plugin-k2-common';
import { migrate } from './database/migrations';
import { createRouter } from './router';

/**
 * K2's Alerts backend: alert rules per service from templates, compiled into one
 * Prometheus rule group per service and environment and delivered; the alerts
 * Alertmanager sends back, grouped into incidents; Kubernetes signals.
 */
export const k2AlertsPlugin = createBackendPlugin({
  pluginId: 'k2-alerts',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        logger: coreServices.logger,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        await migrate(deps);
        deps.httpRouter.use(await createRouter());
      },
    });
  },
});
