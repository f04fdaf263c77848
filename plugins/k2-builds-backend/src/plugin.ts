import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ActivityLogServiceRef,
  k2ClusterAccessServiceRef,
  k2ServiceIndexServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { BuildQueue } from './builds/BuildQueue';
import { BuildService } from './builds/BuildService';
import { DeployReleaseStarter } from './builds/DeployReleaseStarter';
import { registriesFromConfig } from './builds/registries';
import { RepositoryOwnership } from './builds/RepositoryOwnership';
import { runnerFromConfig } from './builds/runnerFromConfig';
import { readBuildsConfig } from './config/readBuildsConfig';
import { DatabaseBuildStore } from './database/BuildStore';
import { BuildLogEvents } from './logs/BuildLogWriter';
import { createRouter } from './router';
import { PushWebhookReceiver } from './webhooks/PushWebhookReceiver';

/** How often the queue looks for builds queued on other replicas or left waiting. */
const QUEUE_FREQUENCY_SECONDS = 5;

/**
 * K2's Builds backend: a service's image built from a Git ref (buildah locally, a
 * BuildKit Job in a cluster), read back from its registry and released; history and
 * logs; builds from the portal, the scaffolder and signed push webhooks.
 */
export const k2BuildsPlugin = createBackendPlugin({
  pluginId: 'k2-builds',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        auditor: coreServices.auditor,
        discovery: coreServices.discovery,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        catalog: catalogServiceRef,
        gate: k2ActionGateServiceRef,
        resolver: k2ServiceResolverServiceRef,
        services: k2ServiceIndexServiceRef,
        access: k2ClusterAccessServiceRef,
        activity: k2ActivityLogServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        const builds = readBuildsConfig(deps.config);
        const registries = registriesFromConfig(deps.config);
        const runner = runnerFromConfig({ ...deps, builds });
        const store = await DatabaseBuildStore.create(deps);
        const events = new BuildLogEvents();
        const queue = new BuildQueue({
          ...deps,
          store,
          config: builds,
          runner,
          registries,
          events,
          releases: new DeployReleaseStarter(deps),
        });
        const service = new BuildService({
          ...deps,
          store,
          config: builds,
          runner,
          registries,
          queue,
          events,
          ownership: new RepositoryOwnership({
            ...deps,
            store,
            sharedRepositories: builds.sharedRepositories,
          }),
        });
        const webhooks = new PushWebhookReceiver({
          ...deps,
          config: builds,
          store,
          builds: service,
          registries,
        });

        await queue.recover();
        deps.lifecycle.addShutdownHook(() => queue.stop());
        // Builds queued on another replica, or waiting for room, and builds a stopped
        // replica left running: one replica at a time claims them (compare-and-set
        // besides).
        await deps.scheduler.scheduleTask({
          id: 'k2-builds-queue',
          scope: 'global',
          frequency: { seconds: QUEUE_FREQUENCY_SECONDS },
          timeout: { minutes: 1 },
          fn: async () => {
            await queue.recover();
            await queue.tick();
          },
        });
        await deps.scheduler.scheduleTask({
          id: 'k2-builds-retention',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const cutoff = new Date(
              Date.now() - builds.logRetentionDays * 24 * 60 * 60 * 1000,
            );
            const chunks = await store.deleteLogsFinishedBefore(cutoff);
            const deliveries = await webhooks.prune();
            if (chunks + deliveries > 0) {
              deps.logger.info(
                `Build retention: ${chunks} log chunks older than ${builds.logRetentionDays} days and ${deliveries} webhook deliveries deleted`,
              );
            }
          },
        });
        void queue.tick();

        deps.httpRouter.addAuthPolicy({
          path: '/webhooks/push',
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          await createRouter({ ...deps, builds: service, webhooks }),
        );
      },
    });
  },
});
