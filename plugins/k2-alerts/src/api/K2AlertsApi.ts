import { createApiRef } from '@backstage/frontend-plugin-api';
import type {
  components,
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
  K2AlertRuleTemplate,
  K2AlertsService,
  K2AlertTemplateParameter,
  operations,
} from '@internal/plugin-k2-alerts-common';

type Schemas = components['schemas'];

export type {
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
  K2AlertRuleTemplate,
  K2AlertsService,
  K2AlertTemplateParameter,
};
/** Types of the Alerts API's incidents and history, from its OpenAPI document. */
export type K2AlertSeverity = Schemas['Severity'];
export type K2Incident = Schemas['Incident'];
export type K2Alert = Schemas['Alert'];
export type K2AlertHistoryEntry = Schemas['AlertHistoryEntry'];
export type K2IncidentQuery = NonNullable<
  operations['GetServiceIncidents']['parameters']['query']
>;
export type K2AlertHistoryQuery = NonNullable<
  operations['GetServiceAlertHistory']['parameters']['query']
>;

/**
 * The Alerts API as the tab and the overview page use it: the shared contract of the
 * `k2-alerts` backend (templates, rules and their previews, incidents, history).
 */
export interface K2AlertsApi {
  getTemplates(): Promise<Schemas['RuleTemplateList']>;
  getRules(
    service: K2AlertsService,
    environment?: string,
  ): Promise<Schemas['AlertRuleList']>;
  createRule(
    service: K2AlertsService,
    input: K2AlertRuleInput,
  ): Promise<K2AlertRule>;
  updateRule(
    service: K2AlertsService,
    id: string,
    input: K2AlertRuleInput,
  ): Promise<K2AlertRule>;
  deleteRule(service: K2AlertsService, id: string): Promise<void>;
  previewRule(
    service: K2AlertsService,
    input: K2AlertRuleInput,
  ): Promise<K2AlertRulePreview>;
  getIncidents(
    service: K2AlertsService,
    query?: K2IncidentQuery,
  ): Promise<Schemas['IncidentPage']>;
  getIncident(id: string): Promise<Schemas['IncidentDetail']>;
  getAlertHistory(
    service: K2AlertsService,
    query?: K2AlertHistoryQuery,
  ): Promise<Schemas['AlertHistoryPage']>;
  getTeamIncidents(
    team: K2AlertsService,
    query?: { status?: Schemas['IncidentStatus'] },
  ): Promise<Schemas['TeamIncidents']>;
}

export const k2AlertsApiRef = createApiRef<K2AlertsApi>({
  id: 'plugin.k2-alerts.api',
});
