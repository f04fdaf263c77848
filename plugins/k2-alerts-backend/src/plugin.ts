import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { k2Permissions } from '@internal/plugin-k2-common';
import {
  k2ActionGateServiceRef,
  k2ActivityLogServiceRef,
  k2ClusterAccessServiceRef,
  k2EnvironmentsServiceRef,
  k2ServiceIndexServiceRef,
  k2ServiceResolverServiceRef,
} from '@internal/plugin-k2-node';
import { createClusterChecks } from './clusterChecks/createClusterChecks';
import { migrate } from './database/migrations';
import { DatabaseIncidentStore } from './incidents/DatabaseIncidentStore';
import { IncidentService } from './incidents/IncidentService';
import { AlertIntake } from './intake/AlertIntake';
import { webhookRouter } from './intake/webhookRouter';
import { createRouter } from './router';
import { createRouting } from './routing/createRouting';
import { createRuleServices } from './rules/createRuleServices';
import { createSilenceService } from './silences/createSilenceService';
import { KubernetesSignals } from './signals/KubernetesSignals';
import { readSignalsConfig } from './signals/readSignalsConfig';
import { DatabaseStatsStore } from './stats/DatabaseStatsStore';
import { StatsService } from './stats/StatsService';

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
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        userInfo: coreServices.userInfo,
        notifications: notificationService,
        resolver: k2ServiceResolverServiceRef,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        gate: k2ActionGateServiceRef,
        activity: k2ActivityLogServiceRef,
        access: k2ClusterAccessServiceRef,
        services: k2ServiceIndexServiceRef,
        environments: k2EnvironmentsServiceRef,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(k2Permissions);
        await migrate(deps);

        // Intake: Alertmanager's webhook and Kubernetes signals, into incidents.
        const signalsConfig = readSignalsConfig(deps.config);
        const incidentStore = await DatabaseIncidentStore.create(deps);
        const intake = new AlertIntake({ ...deps, store: incidentStore });
        const incidents = new IncidentService({
          ...deps,
          store: incidentStore,
        });
        const signals = new KubernetesSignals({
          ...deps,
          ...signalsConfig,
          model: deps.environments.model,
          sink: intake,
        });
        deps.lifecycle.addStartupHook(async () =>
          signals.start(
            await incidentStore.firing('kubernetes'),
            signalsConfig.intervalMs,
          ),
        );
        deps.lifecycle.addShutdownHook(() => signals.stop());
        // Cluster checks over the same caches, into the same incidents.
        const clusterChecks = createClusterChecks({
          ...deps,
          incidentStore,
          intake,
        });
        // Alertmanager is no Backstage user: the webhook checks its own token.
        deps.httpRouter.addAuthPolicy({
          path: '/webhook',
          allow: 'unauthenticated',
        });
        deps.httpRouter.use(
          webhookRouter({
            token: deps.config.getOptionalString('k2.alerts.webhook.token'),
            intake,
          }),
        );

        // Routing: opened incidents to their team's channels, escalated until acknowledged.
        const { teamSettings } = await createRouting({
          ...deps,
          incidentStore,
          intake,
        });

        // Rules: templates, each service's rules compiled, checked and delivered.
        const { rules, templates } = await createRuleServices(deps);

        // Silences in each environment's Alertmanager; statistics of incidents.
        const silences = createSilenceService(deps);
        const stats = new StatsService({
          ...deps,
          store: await DatabaseStatsStore.create(deps),
          incidents,
        });

        deps.httpRouter.use(
          await createRouter({
            ...deps,
            incidents,
            rules,
            templates,
            teamSettings,
            silences,
            stats,
            clusterChecks,
          }),
        );
      },
    });
  },
});
