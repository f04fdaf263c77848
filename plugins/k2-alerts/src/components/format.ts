import { formatBytes } from '@internal/plugin-k2-common';
import {
  K2AlertRule,
  K2AlertRuleTemplate,
  K2AlertTemplateParameter,
} from '../api/K2AlertsApi';
import { AlertsT } from '../translation';

/** Prometheus's duration syntax (`30s`, `5m`, `1h30m`), as `for:` and durations take it. */
export const PROMETHEUS_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** A bytes parameter: a whole number of bytes or a Kubernetes quantity (`512Mi`). */
export const BYTES_VALUE = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$/;

const BYTE_FACTORS: Record<string, number> = {
  '': 1,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The bytes a bytes parameter's value stands for, or undefined if it is no size. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(value.trim());
  return match ? Number(match[1]) * BYTE_FACTORS[match[2] ?? ''] : undefined;
}

/** A parameter's value as people read it: `80 %`, `512 MiB`, `5m`, a URL as is. */
export function parameterValue(
  t: AlertsT,
  parameter: Pick<K2AlertTemplateParameter, 'type'>,
  value: string | number,
): string {
  switch (parameter.type) {
    case 'percent':
      return t('units.percent', { value: String(value) });
    case 'bytes': {
      const bytes = parseBytes(value);
      return bytes === undefined ? String(value) : formatBytes(bytes);
    }
    default:
      return String(value);
  }
}

/**
 * A rule's condition in words: its template's title and each parameter that has a
 * value ("Memory over a share of the limit: threshold 80 %"), then how long it must
 * hold ("… for 5m"). A raw PromQL rule's condition is its expression.
 */
export function conditionInWords(
  t: AlertsT,
  rule: Pick<K2AlertRule, 'expr' | 'parameters' | 'for' | 'templateId'>,
  template: K2AlertRuleTemplate | undefined,
): string {
  let condition: string;
  if (rule.expr !== undefined && !rule.templateId) {
    condition = rule.expr;
  } else if (!template) {
    condition = t('rules.unknownTemplate', { id: rule.templateId ?? '' });
  } else {
    const values = template.parameters
      .filter(p => rule.parameters[p.name] !== undefined)
      .map(p =>
        t('conditionWords.parameter', {
          name: p.title.toLocaleLowerCase(),
          value: parameterValue(t, p, rule.parameters[p.name]),
        }),
      );
    condition = values.length
      ? `${template.title}: ${values.join(t('conditionWords.separator'))}`
      : template.title;
  }
  return t('rules.forDuration', { condition, for: rule.for });
}

/** The name of the catalog entity a ref names: `component:default/x` → `x`. */
export function entityName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** An incident's rule as people read it: a signal's reason in words, else its title. */
export function ruleKeyWords(t: AlertsT, ruleKey: string): string | undefined {
  const reason = /^signal:(.+)$/.exec(ruleKey)?.[1];
  switch (reason) {
    case 'oomkilled':
    case 'error-exit':
    case 'crashloop':
    case 'failed-scheduling':
    case 'readiness':
      return t(`signals.${reason}`);
    default:
      return undefined;
  }
}
