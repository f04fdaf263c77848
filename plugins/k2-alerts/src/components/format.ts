import { formatBytes } from '@internal/plugin-k2-common';
import {
  K2AlertRule,
  K2AlertRuleTemplate,
  K2AlertTemplateParameter,
} from '../api/K2AlertsApi';
import { AlertsT, k2AlertsMessages } from '../translation';

/** A Prometheus duration as rules take it (`30s`, `5m`, `1h30m`), as the backend checks it. */
export const PROMETHEUS_DURATION = /^([0-9]{1,6}[smhd])+$/;

/** The longest `for` and window a rule may have: 24 hours, as the backend allows. */
export const MAX_DURATION_SECONDS = 86400;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** The seconds of a duration (`1h30m` → 5400), or undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!PROMETHEUS_DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([smhd])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit];
  }
  return seconds;
}

/** Seconds as the shortest duration that says them: 60 → `1m`, 86400 → `1d`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm']) {
    if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) {
      return `${seconds / UNIT_SECONDS[unit]}${unit}`;
    }
  }
  return `${seconds}s`;
}

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

/**
 * The bytes a size stands for: a number of bytes or a Kubernetes quantity (`512Mi`,
 * `1.5Gi`, `2G`), or undefined if it is no size.
 */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(value.trim());
  return match
    ? Math.round(Number(match[1]) * BYTE_FACTORS[match[2] ?? ''])
    : undefined;
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

/** A built-in template's condition in words, or undefined for any other template. */
function builtinCondition(
  t: AlertsT,
  template: K2AlertRuleTemplate,
  value: (name: string) => string,
  raw: (name: string) => string | number | undefined,
): string | undefined {
  if (!template.builtin) return undefined;
  switch (template.id) {
    case 'memory-usage':
      return t('conditions.memory-usage', { threshold: value('threshold') });
    case 'cpu-usage':
      return t('conditions.cpu-usage', { threshold: value('threshold') });
    case 'memory-bytes':
      return t('conditions.memory-bytes', { bytes: value('bytes') });
    case 'container-memory':
      return t('conditions.container-memory', {
        container: value('container'),
        pod: value('pod'),
        threshold: value('threshold'),
      });
    case 'instances-unavailable':
      return t('conditions.instances-unavailable', {
        count: Number(raw('missing')),
      });
    case 'restarts':
      return t('conditions.restarts', {
        count: Number(raw('count')),
        window: value('window'),
      });
    case 'oom-killed':
      return t('conditions.oom-killed', { window: value('window') });
    case 'readiness-failing':
      return t('conditions.readiness-failing');
    case 'http-probe':
      return t('conditions.http-probe', { url: value('url') });
    default:
      return undefined;
  }
}

/**
 * A rule's condition in words: a built-in template's own sentence ("Memory above
 * 90 % of the limit"), any other template's title with each parameter ("Slow
 * queries: latency 2"), then how long it must hold ("… for 5m"; nothing for `0s`).
 * A parameter the rule leaves out reads as the template's default. A raw PromQL
 * rule's condition is its expression.
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
    const raw = (name: string) =>
      rule.parameters[name] ??
      template.parameters.find(p => p.name === name)?.default;
    const value = (name: string) => {
      const parameter = template.parameters.find(p => p.name === name);
      const given = raw(name);
      if (given === undefined) return '';
      return parameter ? parameterValue(t, parameter, given) : String(given);
    };
    const values = template.parameters
      .filter(p => raw(p.name) !== undefined)
      .map(p =>
        t('conditionWords.parameter', {
          name: p.title.toLocaleLowerCase(),
          value: value(p.name),
        }),
      );
    condition =
      builtinCondition(t, template, value, raw) ??
      (values.length
        ? `${template.title}: ${values.join(t('conditionWords.separator'))}`
        : template.title);
  }
  return durationSeconds(rule.for) === 0
    ? condition
    : t('rules.forDuration', { condition, for: rule.for });
}

/**
 * How a template's expression values read: percentages for a template whose
 * threshold is a percentage, sizes for one whose threshold is a size, else numbers
 * (a template's current value is what its threshold is compared with).
 */
export function seriesValue(
  t: AlertsT,
  template: K2AlertRuleTemplate | undefined,
  value: number,
): string {
  const short = Number.isInteger(value)
    ? String(value)
    : String(Number(value.toPrecision(4)));
  const kind = template?.parameters.find(
    p => p.type === 'percent' || p.type === 'bytes',
  )?.type;
  if (kind === 'percent') return t('units.percent', { value: short });
  if (kind === 'bytes') return formatBytes(value);
  return short;
}

/** The name of the catalog entity a ref names: `component:default/x` → `x`. */
export function entityName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** An incident's rule as people read it: a signal's reason in words, else undefined. */
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

type BuiltinTemplateId = keyof typeof k2AlertsMessages.builtinTemplates;

/**
 * A built-in template in the user's language: its title, description and parameter
 * titles from the translations (the backend's files hold the English). Custom
 * templates, and any text the translations do not know, stay as the backend wrote them.
 */
export function localizedTemplate(
  t: AlertsT,
  template: K2AlertRuleTemplate,
): K2AlertRuleTemplate {
  if (
    !template.builtin ||
    !(template.id in k2AlertsMessages.builtinTemplates)
  ) {
    return template;
  }
  const id = template.id as BuiltinTemplateId;
  const known: Record<string, string> =
    'parameters' in k2AlertsMessages.builtinTemplates[id]
      ? (k2AlertsMessages.builtinTemplates[id] as { parameters: {} }).parameters
      : {};
  return {
    ...template,
    title: t(`builtinTemplates.${id}.title`),
    description: t(`builtinTemplates.${id}.description`),
    parameters: template.parameters.map(parameter =>
      parameter.name in known
        ? {
            ...parameter,
            title: t(
              `builtinTemplates.${id}.parameters.${parameter.name}` as Parameters<AlertsT>[0],
            ),
          }
        : parameter,
    ),
  };
}
