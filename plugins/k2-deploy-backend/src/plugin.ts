import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { readDurationFromConfig } from '@backstage/config';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { durationToMilliseconds } from '@backstage/types';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ActivityLogServiceRef,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceIndexServiceRef,
  k2ServiceResolverServiceRef,
  readRegistries,
} from '@internal/plugin-k2-node';
import { CanaryService } from './canaries/CanaryService';
import { DatabaseCanaryStore } from './database/DatabaseCanaryStore';
import { DatabaseInstanceStore } from './database/DatabaseInstanceStore';
import { DatabaseReleaseStore } from './database/DatabaseReleaseStore';
import { StoredRelease } from './database/ReleaseStore';
import { InstanceActionsService } from './instances/InstanceActionsService';
import { InstanceEventsService } from './instances/InstanceEventsService';
import { InstanceHistoryService } from './instances/InstanceHistoryService';
import { InstanceLogsService } from './instances/InstanceLogsService';
import { InstanceUsageService } from './instances/InstanceUsageService';
import { InstanceTracker } from './instances/InstanceTracker';
import { ReleaseDriver } from './releases/ReleaseDriver';
import { AdoptionService } from './releases/AdoptionService';
import { ReleaseEngine } from './releases/ReleaseEngine';
import {
  ReleaseMounts,
  readRetainedForRollback,
} from './releases/ReleaseMounts';
import { ReleaseSecrets } from './releases/ReleaseSecrets';
import { ConfigBackendVersions } from './releases/ConfigVersions';
import { ReleaseMountResolver } from './releases/ReleaseMountResolver';
import {
  MiddlewareStoreBindings,
  ReleaseBindingResolver,
} from './releases/ReleaseBindings';
import { ReleaseImageCheck } from './registries/ReleaseImageCheck';
import { RegistryTagsService } from './registries/RegistryTagsService';
import { createRouter } from './router';
import { ServiceRuntimeService } from './runtime/ServiceRuntimeService';
import { ShellPolicy } from './shell/ShellPolicy';
import { ShellService } from './shell/ShellService';
import { ShellSessionRunner } from './shell/ShellSessionRunner';
import { DatabaseShellSessionStore } from './shell/ShellSessionStore';
import { ShellUpgrade } from './shell/ShellUpgrade';
import { registerReleaseResource } from './permissions/registerReleaseResource';
import { DeploySignalPublisher } from './signals/DeploySignalPublisher';
import { ReleaseChangeReporter } from './signals/ReleaseChangeReporter';

/**
 * K2's Deploy backend: the service runtime view from the watch caches, the release
 * engine (release, rollback, scale, restart, autoscaling, approvals, history), and
 * instances (historical containers, events, logs, usage, per-instance actions).
 */
export const k2DeployPlugin = createBackendPlugin({
  pluginId: 'k2-deploy',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissionsRegistry: coreServices.permissionsRegistry,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        logger: coreServices.logger,
        auditor: coreServices.auditor,
        gate: k2ActionGateServiceRef,
        activity: k2ActivityLogServiceRef,
        resolver: k2ServiceResolverServiceRef,
        services: k2ServiceIndexServiceRef,
        access: k2ClusterAccessServiceRef,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        environments: k2EnvironmentsServiceRef,
        signals: signalsServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        // Read first, so a wrong registry entry stops the start naming its key.
        const registries = readRegistries(deps.config);
        const images = ReleaseImageCheck.fromConfig(deps.config, registries);
        const retainedForRollback = readRetainedForRollback(deps.config);
        const shellPolicy = ShellPolicy.fromConfig(
          deps.config,
          deps.environments.model,
        );
        // Live updates of the Deploy tab: each change to a service's releases or
        // runtime is announced on the service's Signals channel.
        const publisher = new DeploySignalPublisher(deps);
        const unsubscribePublisher = deps.access.subscribe(change =>
          publisher.notify(change),
        );
        deps.lifecycle.addShutdownHook(() => {
          unsubscribePublisher();
          publisher.stop();
        });
        // Who hears of each release change: the Signals publisher, and the canary
        // service once it exists (a promotion ends with its release).
        const releaseListeners: Array<(release: StoredRelease) => void> = [
          release => publisher.releaseChanged(release),
        ];
        const store = new ReleaseChangeReporter(
          await DatabaseReleaseStore.create(deps),
          release => releaseListeners.forEach(listener => listener(release)),
        );
        // Approvals are decided by the permission policy with each release's facts.
        registerReleaseResource({ ...deps, store });
        const retryKey = 'k2.releases.applyRetryTimeout';
        const driver = new ReleaseDriver({
          ...deps,
          store,
          applyRetryMs: deps.config.has(retryKey)
            ? durationToMilliseconds(
                readDurationFromConfig(deps.config, { key: retryKey }),
              )
            : undefined,
        });
        const engine = new ReleaseEngine({
          ...deps,
          store,
          secrets: new ReleaseSecrets(deps),
          mounts: new ReleaseMountResolver({
            ...deps,
            configVersions: new ConfigBackendVersions(deps),
          }),
          bindings: new ReleaseBindingResolver({
            ...deps,
            lookup: new MiddlewareStoreBindings(deps),
          }),
          images,
          kick: () => driver.kick(),
        });

        // The driver's heartbeat: resumes releases after a restart and enforces
        // timeouts. Cache changes and new releases bring passes forward in between.
        await deps.scheduler.scheduleTask({
          id: 'k2-release-driver',
          frequency: { seconds: 5 },
          timeout: { minutes: 2 },
          fn: () => driver.tick(),
        });
        const unsubscribe = deps.access.subscribe(change =>
          driver.notify(change),
        );
        deps.lifecycle.addShutdownHook(() => {
          unsubscribe();
          driver.stop();
        });

        // Canaries beside the stable release; a promotion finishes once its release
        // succeeded (on a release change, and on this heartbeat after a restart).
        const canaries = new CanaryService({
          ...deps,
          canaries: await DatabaseCanaryStore.create(deps),
          releases: store,
          engine,
        });
        releaseListeners.push(release => canaries.releaseChanged(release));
        await deps.scheduler.scheduleTask({
          id: 'k2-canary-promotions',
          scope: 'global',
          frequency: { seconds: 10 },
          timeout: { minutes: 2 },
          fn: () => canaries.tick(),
        });

        // Historical containers: recorded from every cluster's pod changes, kept
        // for the retention period.
        const instanceStore = await DatabaseInstanceStore.create(deps);
        const tracker = new InstanceTracker({ ...deps, store: instanceStore });
        const unsubscribeTracker = deps.access.subscribe(change =>
          tracker.notify(change),
        );
        deps.lifecycle.addShutdownHook(async () => {
          unsubscribeTracker();
          await tracker.stop();
        });
        const retentionKey = 'k2.instances.retention';
        const retentionMs = deps.config.has(retentionKey)
          ? durationToMilliseconds(
              readDurationFromConfig(deps.config, { key: retentionKey }),
            )
          : 7 * 24 * 3600_000;
        await deps.scheduler.scheduleTask({
          id: 'k2-instance-history-retention',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const removed = await instanceStore.deleteEndedBefore(
              new Date(Date.now() - retentionMs),
            );
            if (removed) {
              deps.logger.info(
                `Removed ${removed} historical containers past retention`,
              );
            }
          },
        });

        const runtime = new ServiceRuntimeService(deps);
        const instanceHistory = new InstanceHistoryService({
          ...deps,
          store: instanceStore,
        });
        const instanceEvents = new InstanceEventsService(deps);
        const instanceLogs = new InstanceLogsService(deps);
        const instanceUsage = new InstanceUsageService(deps);
        const instanceActions = new InstanceActionsService(deps);

        // Web shells and debug containers: sessions recorded in the database, their
        // WebSockets served beside the API (the ticket authenticates them).
        const shellStore = await DatabaseShellSessionStore.create(deps);
        const shellRunner = new ShellSessionRunner({
          ...deps,
          store: shellStore,
          policy: shellPolicy,
        });
        deps.lifecycle.addShutdownHook(() => shellRunner.stopAll());
        const shellUpgrade = new ShellUpgrade({
          ...deps,
          store: shellStore,
          runner: shellRunner,
        });
        deps.httpRouter.addAuthPolicy({
          path: '/shell-sessions/:id/stream',
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(shellUpgrade.middleware());
        deps.httpRouter.use(
          await createRouter({
            ...deps,
            runtime,
            engine,
            mounts: new ReleaseMounts({
              ...deps,
              store,
              retainedForRollback,
              authorizeRead: (service, caller) =>
                engine.authorizeRead(service, caller),
            }),
            canaries,
            adoption: new AdoptionService({ ...deps, store }),
            driver,
            store,
            instanceHistory,
            instanceEvents,
            instanceLogs,
            instanceUsage,
            instanceActions,
            registryTags: new RegistryTagsService({ ...deps, registries }),
            shell: new ShellService({
              ...deps,
              store: shellStore,
              policy: shellPolicy,
            }),
          }),
        );
      },
    });
  },
});
