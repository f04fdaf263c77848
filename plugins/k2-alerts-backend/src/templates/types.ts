import {
  K2AlertRuleTemplate,
  K2AlertTemplateParameter,
} from '@internal/plugin-k2-alerts-common';

/** A template parameter, as the API shows it. */
export type TemplateParameter = K2AlertTemplateParameter;

/** What a rule's expression is about: the service's pods, one container, or a URL. */
export type TemplateScope = 'service' | 'container' | 'url';

/**
 * A rule template with everything compiling needs. `expr` compares (it returns the
 * series that fire); `value` is the same expression without the comparison, for
 * previews. Both hold `{{ name }}` placeholders for the parameters and for what K2
 * fills in per service ({@link SERVICE_PLACEHOLDERS}).
 */
export interface RuleTemplate extends K2AlertRuleTemplate {
  expr: string;
  value?: string;
  summary?: string;
}

/**
 * What K2 fills in per service and environment, beside the parameters:
 * `selector`: the label matchers of the service's series (its clusters, namespace and
 * the pods of its Deployment; for scope `container` the named pod and container; for
 * scope `url` the probe targets of the rule); `deployment_selector`: its Deployment's
 * kube-state-metrics series; `namespace`, `deployment`, `rule` (the rule's id).
 */
export const SERVICE_PLACEHOLDERS = [
  'selector',
  'deployment_selector',
  'namespace',
  'deployment',
  'rule',
] as const;
