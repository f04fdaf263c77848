import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  components,
  K2AlertsClient,
} from '@internal/plugin-k2-alerts-common';

export type {
  K2Alert,
  K2AlertHistoryEntry,
  K2AlertHistoryQuery,
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
  K2AlertRuleTemplate,
  K2AlertSilence,
  K2AlertStats,
  K2AlertsService,
  K2AlertTemplateParameter,
  K2ClusterFinding,
  K2Incident,
  K2IncidentQuery,
  K2AlertChannel,
  K2TeamAlertSettings,
  K2TeamAlertSettingsView,
} from '@internal/plugin-k2-alerts-common';

/** An alert's severity, as the Alerts API names it. */
export type K2AlertSeverity = components['schemas']['Severity'];

/**
 * The Alerts API as the tab and the overview page use it: exactly the shared,
 * OpenAPI-typed `K2AlertsClient`, so the tab, other plugins and tests speak one
 * contract.
 */
export type K2AlertsApi = Pick<
  K2AlertsClient,
  | 'getTemplates'
  | 'getRules'
  | 'createRule'
  | 'updateRule'
  | 'deleteRule'
  | 'previewRule'
  | 'getIncidents'
  | 'getIncident'
  | 'getAlertHistory'
  | 'getTeamIncidents'
  | 'acknowledgeIncident'
  | 'resolveIncident'
  | 'getSilences'
  | 'createSilence'
  | 'expireSilence'
  | 'getServiceStats'
  | 'getTeamStats'
  | 'getClusterChecks'
  | 'getTeamSettings'
  | 'updateTeamSettings'
  | 'previewTeamMessage'
>;

export const k2AlertsApiRef = createApiRef<K2AlertsApi>({
  id: 'plugin.k2-alerts.api',
});
