import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { BundleService } from './bundles/BundleService';
import { readTrafficConfig } from './config/readTrafficConfig';
import { DatabaseTrafficStore } from './database/DatabaseTrafficStore';
import { NginxValidator } from './nginx/NginxValidator';
import { ManualMembers } from './rendering/members';
import { createRouter } from './router';
import { SiteService } from './sites/SiteService';
import { TemplateRegistry } from './templates/TemplateRegistry';

/**
 * K2's Traffic backend: one Nginx site per service and environment, rendered from
 * admin-owned templates, published as versions gated by `nginx -t` of the whole
 * cluster config, and served as a bundle to each Nginx cluster's agents.
 */
export const k2TrafficPlugin = createBackendPlugin({
  pluginId: 'k2-traffic',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        gate: k2ActionGateServiceRef,
        resolver: k2ServiceResolverServiceRef,
        environments: k2EnvironmentsServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const config = readTrafficConfig(deps.config, deps.environments.model);
        const templates = TemplateRegistry.load(config.templatesDirectory);
        const store = await DatabaseTrafficStore.create(deps);
        // Upstream members are the ones owners list by hand.
        const members = new ManualMembers();
        const bundles = new BundleService({
          ...deps,
          config,
          store,
          members,
          validator: new NginxValidator({
            binary: config.nginxBinary,
            timeoutMs: config.nginxTestTimeoutMs,
          }),
        });
        deps.lifecycle.addStartupHook(() => bundles.refreshAll());
        deps.lifecycle.addShutdownHook(() => bundles.stop());
        const sites = new SiteService({
          ...deps,
          store,
          bundles,
          templates,
          members,
        });
        // Agents authenticate with their cluster's token, checked by the routes.
        deps.httpRouter.addAuthPolicy({
          path: '/agent/v1',
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          await createRouter({ ...deps, sites, bundles, templates }),
        );
      },
    });
  },
});
