import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ActivityLogServiceRef,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { BundleService } from './bundles/BundleService';
import { readTrafficConfig } from './config/readTrafficConfig';
import { DatabaseTrafficStore } from './database/DatabaseTrafficStore';
import { NginxValidator } from './nginx/NginxValidator';
import { MembershipFollower } from './members/MembershipFollower';
import { PodMembers } from './members/PodMembers';
import { registerSiteChangeResource } from './permissions/siteChangeResource';
import { createRouter } from './router';
import { SiteService } from './sites/SiteService';
import { TemplateRegistry } from './templates/TemplateRegistry';

/** How long the start waits for the watch caches before building bundles anyway. */
const CACHE_SYNC_TIMEOUT_MS = 60_000;

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
        access: k2ClusterAccessServiceRef,
        activity: k2ActivityLogServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const config = readTrafficConfig(deps.config, deps.environments.model);
        const templates = TemplateRegistry.load(config.templatesDirectory);
        const store = await DatabaseTrafficStore.create(deps);
        // Approvals of site changes are decided here, with each change's own facts.
        registerSiteChangeResource({ ...deps, store });
        // Upstream members: the ones owners list by hand and the service's pods.
        const members = new PodMembers(deps);
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
        const follower = new MembershipFollower({ ...deps, members, bundles });
        // Bundles are rebuilt once the caches are listed, so a restart never serves
        // upstreams without the pods it has not listed yet. Agents keep the stored
        // bundles meanwhile; the wait runs beside the start, so a cluster that is
        // down never delays the backend's readiness.
        deps.lifecycle.addStartupHook(() => {
          follower
            .start(CACHE_SYNC_TIMEOUT_MS)
            .catch(error =>
              deps.logger.error(
                `Upstream members could not be rebuilt at start: ${error}`,
              ),
            );
        });
        deps.lifecycle.addShutdownHook(() => {
          follower.stop();
          bundles.stop();
        });
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
