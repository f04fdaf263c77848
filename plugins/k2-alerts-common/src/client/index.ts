export type { components, operations, paths } from '../generated/openapi';
export { K2AlertsClient } from './K2AlertsClient';
export type {
  K2Alert,
  K2AlertHistoryEntry,
  K2AlertSilence,
  K2AlertSilenceInput,
  K2AlertStats,
  K2AlertHistoryQuery,
  K2Incident,
  K2IncidentQuery,
  K2TeamIncidentQuery,
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
  K2AlertRuleTemplate,
  K2AlertRuleTemplateInput,
  K2AlertsClientOptions,
  K2AlertsService,
  K2AlertTemplateParameter,
} from './K2AlertsClient';
