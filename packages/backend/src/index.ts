import { createBackend } from '@backstage/backend-defaults';
import {
  k2ClusterAccessServiceFactory,
  k2EnvironmentsServiceFactory,
} from '@internal/plugin-k2-node';
import { catalogModuleK2MiddlewareInstances } from '@internal/plugin-k2-middleware-store-backend';
import { catalogModuleK2Volumes } from '@internal/plugin-k2-storage-backend';
import { catalogModuleK2TrafficSites } from '@internal/plugin-k2-traffic-backend';
import { catalogModuleK2TemplateLocations } from '@internal/plugin-scaffolder-backend-module-k2';
import { appModulePrecompressedAssets } from './app/precompressedAssets';

const backend = createBackend();

// K2: the environment model is validated at start-up; a broken `k2` config stops the
// backend with a message naming the key.
backend.add(k2EnvironmentsServiceFactory);
// K2's one way to the clusters: watch caches, started with the backend.
backend.add(k2ClusterAccessServiceFactory);
// K2's core plugin (activity log, cluster health), then one plugin per capability.
backend.add(import('@internal/plugin-k2-backend'));
backend.add(import('@internal/plugin-k2-deploy-backend'));
backend.add(import('@internal/plugin-k2-traffic-backend'));
backend.add(import('@internal/plugin-k2-config-backend'));
backend.add(import('@internal/plugin-k2-storage-backend'));
backend.add(import('@internal/plugin-k2-alerts-backend'));
backend.add(import('@internal/plugin-k2-middleware-store-backend'));
backend.add(import('@internal/plugin-k2-builds-backend'));

backend.add(import('@backstage/plugin-app-backend'));
// The production build's static files as the build compressed them (brotli, gzip).
backend.add(appModulePrecompressedAssets);
backend.add(import('@backstage/plugin-proxy-backend'));

// Auth: development sign-in (pick a demo user) and GitHub for production.
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@internal/plugin-auth-backend-module-k2-dev-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

// Catalog: the CMDB.
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// Published Nginx sites as Resources their services depend on.
backend.add(catalogModuleK2TrafficSites);
// Volumes as Resources their services depend on.
backend.add(catalogModuleK2Volumes);
// Middleware instances as Resources their bound services depend on.
backend.add(catalogModuleK2MiddlewareInstances);
// The locations k2:catalog:register registers, their entities checked at each read.
backend.add(catalogModuleK2TemplateLocations);

backend.add(import('@backstage/plugin-scaffolder-backend'));
// K2's actions (k2:release, k2:build, k2:middleware:create, k2:alerts:defaults, and
// k2:publish:local-git in development): the same engines as the K2 tabs.
backend.add(import('@internal/plugin-scaffolder-backend-module-k2'));
// publish:github and publish:gitlab, which the New K2 service template publishes with
// outside development (with the host's token under `integrations`).
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-gitlab'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

backend.add(import('@backstage/plugin-permission-backend'));
// Owners (and platform admins) release, roll back, scale and restart; others read.
backend.add(import('@internal/plugin-permission-backend-module-k2-policy'));

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// The stock Kubernetes plugin reads the same clusters K2 releases to.
backend.add(import('@backstage/plugin-kubernetes-backend'));

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// A backend that failed to start must not linger half-initialised and listening.
backend.start().catch(error => {
  // eslint-disable-next-line no-console
  console.error(`K2 backend failed to start: ${error?.message ?? error}`);
  process.exit(1);
});
