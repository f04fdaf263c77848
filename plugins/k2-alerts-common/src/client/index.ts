export type { components, operations, paths } from '../generated/openapi';
export { K2AlertsClient } from './K2AlertsClient';
export type {
  K2AlertRule,
  K2AlertRuleInput,
  K2AlertRulePreview,
  K2AlertRuleTemplate,
  K2AlertRuleTemplateInput,
  K2AlertsClientOptions,
  K2AlertsService,
  K2AlertTemplateParameter,
} from './K2AlertsClient';
