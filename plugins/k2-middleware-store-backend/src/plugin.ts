import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { notificationService } from '@backstage/plugin-notifications-node';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ActivityLogServiceRef,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { readMiddlewareConfig } from './config/readMiddlewareConfig';
import { DatabaseMiddlewareStore } from './database/MiddlewareStore';
import { InstanceService } from './instances/InstanceService';
import { InstanceObjects } from './lifecycle/InstanceObjects';
import { LifecycleService } from './lifecycle/LifecycleService';
import { registerInstanceResource } from './permissions/instanceResource';
import { createRouter } from './router';
import { TemplateRegistry } from './templates';

/**
 * K2's Middleware store backend: middleware instances from versioned templates, with
 * approval, expiry, backups, restores, bindings and a catalog Resource each.
 */
export const k2MiddlewareStorePlugin = createBackendPlugin({
  pluginId: 'k2-middleware-store',
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
        notifications: notificationService,
        gate: k2ActionGateServiceRef,
        resolver: k2ServiceResolverServiceRef,
        environments: k2EnvironmentsServiceRef,
        access: k2ClusterAccessServiceRef,
        activity: k2ActivityLogServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const config = readMiddlewareConfig(
          deps.config,
          deps.environments.model,
        );
        const templates = await TemplateRegistry.builtIn();
        const store = await DatabaseMiddlewareStore.create(deps);
        // Approvals of instances are decided here, with each instance's own facts.
        registerInstanceResource({ ...deps, store });
        const objects = new InstanceObjects(deps);
        const lifecycle = new LifecycleService({
          ...deps,
          store,
          templates,
          objects,
          policies: config.environments,
        });
        const instances = new InstanceService({
          ...deps,
          store,
          templates,
          config,
          objects,
          lifecycle,
        });
        // Reminders, expiry, deletions with backup, restores, end of retention: one
        // replica at a time; each step is conditional, so a replica taking over
        // after a crash resumes from the database.
        await deps.scheduler.scheduleTask({
          id: 'k2-middleware-lifecycle',
          scope: 'global',
          frequency: { milliseconds: config.lifecycleFrequencyMs },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            const result = await lifecycle.run();
            if (result.reminded + result.expired + result.purged > 0) {
              deps.logger.info(
                `Middleware lifecycle: ${result.reminded} reminded, ${result.expired} expired, ${result.purged} purged at the end of retention`,
              );
            }
          },
        });
        deps.httpRouter.use(await createRouter({ ...deps, instances }));
      },
    });
  },
});
