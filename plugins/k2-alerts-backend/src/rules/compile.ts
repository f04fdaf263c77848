import { InputError } from '@backstage/errors';
import {
  ALERT_ANNOTATION_DESCRIPTION,
  ALERT_ANNOTATION_SUMMARY,
  ALERT_LABEL_ENTITY,
  ALERT_LABEL_ENVIRONMENT,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_RULE,
  ALERT_LABEL_SERVICE,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_TEAM,
} from '@internal/plugin-k2-alerts-common';
import YAML from 'yaml';
import { RuleTemplate } from '../templates/types';
import { checkDuration } from './durations';

/** Where a service's alerts come from in one environment. */
export interface RuleTarget {
  /** The service's entity ref, `component:default/payment-gateway`. */
  entityRef: string;
  /** The entity name. */
  service: string;
  environment: string;
  /** The environment's clusters the service runs in (their `cluster` label). */
  clusters: string[];
  namespace: string;
  /** The `backstage.io/kubernetes-id`: the Deployment's name. */
  kubernetesId: string;
  /** The owning group's ref; empty when the catalog names no owner. */
  team: string;
}

/** A rule as compiling needs it. */
export interface CompilableRule {
  id: string;
  name: string;
  templateId?: string;
  parameters: Record<string, string | number>;
  /** Raw PromQL rules only. */
  expr?: string;
  for: string;
  severity: string;
}

/** A rule's expressions: `expr` fires; `value` is it without the comparison. */
export interface RuleExpressions {
  expr: string;
  value: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** Names of Kubernetes objects: what a `string` parameter may hold. */
const KUBE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The rule group's name (and file name without `.yml`) of a service. */
export function groupName(target: RuleTarget): string {
  return `k2-${target.namespace}-${target.kubernetesId}`;
}

function escapeRegex(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A label matcher's value, quoted for PromQL. */
function quote(text: string) {
  return JSON.stringify(text);
}

function clusterMatcher(target: RuleTarget) {
  return `cluster=~${quote(target.clusters.map(escapeRegex).join('|'))}`;
}

/**
 * The pods of the service's Deployment: `<kubernetes-id>-<pod-template-hash>-<suffix>`
 * (two more segments, so another Deployment named `<kubernetes-id>-worker` is not
 * matched).
 */
export function podPattern(target: RuleTarget): string {
  return `${escapeRegex(target.kubernetesId)}-[a-z0-9]+-[a-z0-9]+`;
}

/** What K2 fills in for a rule of a template with `scope` (see SERVICE_PLACEHOLDERS). */
function serviceValues(
  target: RuleTarget,
  scope: string,
  ruleId: string,
  parameters: Record<string, string | number>,
): Record<string, string> {
  const base = `${clusterMatcher(target)},namespace=${quote(target.namespace)}`;
  let selector = `${base},pod=~${quote(podPattern(target))}`;
  if (scope === 'container') {
    selector = `${base},pod=${quote(String(parameters.pod))},container=${quote(
      String(parameters.container),
    )}`;
  } else if (scope === 'url') {
    selector = `${ALERT_LABEL_RULE}=${quote(ruleId)}`;
  }
  return {
    selector,
    deployment_selector: `${base},deployment=${quote(target.kubernetesId)}`,
    namespace: target.namespace,
    deployment: target.kubernetesId,
    rule: ruleId,
  };
}

function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The placeholders a text uses that `values` does not fill. */
function unfilled(text: string, values: Record<string, unknown>): string[] {
  return [...text.matchAll(PLACEHOLDER)]
    .map(m => m[1])
    .filter(name => !(name in values));
}

function parameterNumber(raw: string | number): number {
  if (typeof raw === 'number') return raw;
  return raw.trim() === '' ? NaN : Number(raw);
}

/**
 * A rule's parameter values checked against its template: every required one present
 * (or defaulted), none unknown, each of its type and within its bounds. Values that
 * reach PromQL are numbers, durations, Kubernetes names or plain URLs, so none can
 * change the expression's shape.
 *
 * @throws InputError naming the parameter
 */
export function checkParameters(
  template: RuleTemplate,
  given: Record<string, string | number>,
): Record<string, string | number> {
  const known = new Map(template.parameters.map(p => [p.name, p]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new InputError(
        `Template ${template.id} has no parameter '${name}'; its parameters: ${
          template.parameters.map(p => p.name).join(', ') || 'none'
        }`,
      );
    }
  }
  const values: Record<string, string | number> = {};
  for (const parameter of template.parameters) {
    const raw = given[parameter.name] ?? parameter.default;
    const what = `Parameter '${parameter.name}' (${parameter.title})`;
    if (raw === undefined || raw === '') {
      if (parameter.required) throw new InputError(`${what} is required`);
      continue;
    }
    switch (parameter.type) {
      case 'number':
      case 'percent':
      case 'bytes': {
        const value = parameterNumber(raw);
        if (!Number.isFinite(value)) {
          throw new InputError(`${what} must be a number, not '${raw}'`);
        }
        const min = parameter.min ?? 0;
        const max =
          parameter.max ?? (parameter.type === 'percent' ? 1000 : 1e15);
        if (value < min || value > max) {
          throw new InputError(
            `${what} must be between ${min} and ${max}, not ${value}`,
          );
        }
        values[parameter.name] = value;
        break;
      }
      case 'duration':
        values[parameter.name] = checkDuration(what, String(raw), {
          min: parameter.min,
          max: parameter.max,
        });
        break;
      case 'string': {
        const value = String(raw);
        if (!KUBE_NAME.test(value)) {
          throw new InputError(
            `${what} must be a Kubernetes name (lowercase letters, digits, '-' and '.'), not '${value}'`,
          );
        }
        values[parameter.name] = value;
        break;
      }
      case 'url': {
        const value = String(raw);
        let url: URL | undefined;
        try {
          url = new URL(value);
        } catch {
          url = undefined;
        }
        if (
          !url ||
          !['http:', 'https:'].includes(url.protocol) ||
          value.length > 2048 ||
          /[\s"'{}\\`]/.test(value)
        ) {
          throw new InputError(
            `${what} must be an http or https URL without quotes, braces or spaces, not '${value}'`,
          );
        }
        values[parameter.name] = value;
        break;
      }
      default:
        throw new InputError(`${what} has an unknown type`);
    }
  }
  return values;
}

/**
 * The comparison at the top level of a PromQL expression split off: `a / b > 3` gives
 * `a / b`. An expression without one is its own value. Only the last top-level
 * comparison is split (comparisons bind tighter than `and`, `or` and `unless`, so an
 * expression joined by those is returned whole).
 */
export function splitComparison(expr: string): string {
  let depth = 0;
  let quoteChar: string | undefined;
  let cut: number | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quoteChar) {
      if (c === '\\') i++;
      else if (c === quoteChar) quoteChar = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quoteChar = c;
    else if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    else if (depth === 0) {
      const two = expr.slice(i, i + 2);
      if (['==', '!=', '>=', '<='].includes(two)) {
        cut = i;
        i++;
      } else if (c === '>' || c === '<') {
        cut = i;
      } else if (
        /^(and|or|unless)\b/.test(expr.slice(i)) &&
        /\W/.test(expr[i - 1] ?? ' ')
      ) {
        cut = undefined;
      }
    }
  }
  return cut === undefined ? expr.trim() : expr.slice(0, cut).trim();
}

/**
 * The expressions of a rule: its template's filled in for the service, or its raw
 * PromQL as written.
 *
 * @throws InputError when a template placeholder has no value
 */
export function ruleExpressions(
  rule: CompilableRule,
  template: RuleTemplate | undefined,
  target: RuleTarget,
): RuleExpressions {
  if (!template) {
    const expr = (rule.expr ?? '').trim();
    return { expr, value: splitComparison(expr) };
  }
  const values = {
    ...serviceValues(target, template.scope, rule.id, rule.parameters),
    ...rule.parameters,
  };
  const missing = unfilled(`${template.expr} ${template.value ?? ''}`, values);
  if (missing.length) {
    throw new InputError(
      `Template ${template.id} uses ${missing
        .map(m => `{{ ${m} }}`)
        .join(', ')}, which is neither a parameter nor one K2 fills in`,
    );
  }
  const expr = fill(template.expr, values);
  return {
    expr,
    value: template.value
      ? fill(template.value, values)
      : splitComparison(expr),
  };
}

function describe(
  rule: CompilableRule,
  template: RuleTemplate | undefined,
  target: RuleTarget,
) {
  const what = template
    ? `${template.title}${
        Object.keys(rule.parameters).length
          ? ` (${Object.entries(rule.parameters)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      }`
    : 'Custom PromQL rule';
  return `${what} for ${target.service} in ${target.environment}; current value {{ $value | humanize }}`;
}

/** One compiled Prometheus alerting rule. */
export interface CompiledRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A rule compiled for Prometheus, with every label K2's alerts carry. */
export function compileRule(
  rule: CompilableRule,
  template: RuleTemplate | undefined,
  target: RuleTarget,
): CompiledRule {
  const { expr } = ruleExpressions(rule, template, target);
  const summary = template?.summary
    ? fill(template.summary, rule.parameters)
    : `${rule.name} fired for ${target.service} in ${target.environment}`;
  return {
    alert: rule.name,
    expr,
    for: rule.for,
    labels: {
      [ALERT_LABEL_ENTITY]: target.entityRef,
      [ALERT_LABEL_SERVICE]: target.service,
      [ALERT_LABEL_RULE]: rule.id,
      [ALERT_LABEL_ENVIRONMENT]: target.environment,
      [ALERT_LABEL_NAMESPACE]: target.namespace,
      [ALERT_LABEL_TEAM]: target.team,
      [ALERT_LABEL_SEVERITY]: rule.severity,
    },
    annotations: {
      [ALERT_ANNOTATION_SUMMARY]: summary,
      [ALERT_ANNOTATION_DESCRIPTION]: describe(rule, template, target),
    },
  };
}

/** A service's rule group for one environment, as Prometheus reads it. */
export interface CompiledGroup {
  name: string;
  rules: CompiledRule[];
  /** The rule file: `groups:` with this one group. */
  yaml: string;
}

/**
 * The one rule group of a service in an environment: its enabled rules, in the order
 * given. Invariant: the group's name is the service's (`k2-<namespace>-<id>`), so a
 * delivery replaces exactly what K2 delivered for this service before.
 */
export function compileGroup(
  target: RuleTarget,
  rules: Array<CompilableRule & { enabled: boolean }>,
  templates: (id: string) => RuleTemplate | undefined,
): CompiledGroup {
  const name = groupName(target);
  const compiled = rules
    .filter(rule => rule.enabled)
    .map(rule =>
      compileRule(
        rule,
        rule.templateId ? templates(rule.templateId) : undefined,
        target,
      ),
    );
  const yaml = YAML.stringify(
    { groups: [{ name, rules: compiled }] },
    { lineWidth: 0 },
  );
  return { name, rules: compiled, yaml };
}

/**
 * The namespaces a raw PromQL expression's selectors name that are not the service's,
 * and whether some selector names none: raw PromQL is for platform admins, so this is
 * a warning, not a refusal.
 */
export function selectorWarnings(expr: string, target: RuleTarget): string[] {
  const warnings: string[] = [];
  const selectors = [...expr.matchAll(/\{([^{}]*)\}/g)].map(m => m[1]);
  const others = new Set<string>();
  let unscoped = selectors.length === 0;
  for (const selector of selectors) {
    const match = /(?:^|,)\s*namespace\s*(=~|=|!=|!~)\s*"([^"]*)"/.exec(
      selector,
    );
    if (!match) {
      unscoped = true;
    } else if (match[1] !== '=' || match[2] !== target.namespace) {
      others.add(`namespace${match[1]}"${match[2]}"`);
    }
  }
  if (others.size) {
    warnings.push(
      `The expression selects ${[...others].join(
        ', ',
      )}, beyond the service's namespace '${target.namespace}'`,
    );
  }
  if (unscoped) {
    warnings.push(
      `A selector of the expression names no namespace: it reaches every namespace, not only '${target.namespace}'`,
    );
  }
  return warnings;
}
