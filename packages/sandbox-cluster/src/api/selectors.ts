import { errors } from './errors';
import { KubeObject } from './types';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

/** A parsed selector: every requirement must hold. An empty selector matches all. */
export type LabelSelector = Requirement[];

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map(p => p.trim()).filter(Boolean);
}

function checkKey(key: string, text: string) {
  if (!KEY.test(key)) {
    throw errors.badRequest(
      `unable to parse requirement: invalid label key "${key}" in "${text}"`,
    );
  }
}

/**
 * Parses a label selector in the API's string form: `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
 */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part): Requirement => {
    let m = /^!\s*(\S+)$/.exec(part);
    if (m) {
      checkKey(m[1], text);
      return { key: m[1], op: '!exists' };
    }
    m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      checkKey(m[1], text);
      const values = m[3]
        .split(',')
        .map(v => v.trim())
        .filter(Boolean);
      return { key: m[1], op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) {
      checkKey(m[1], text);
      return { key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] };
    }
    if (/^[^=!\s()]+$/.test(part)) {
      checkKey(part, text);
      return { key: part, op: 'exists' };
    }
    throw errors.badRequest(
      `unable to parse requirement: "${part}" in label selector "${text}"`,
    );
  });
}

/** Converts a `metav1.LabelSelector` object (matchLabels/matchExpressions). */
export function labelSelectorFromObject(selector: any): LabelSelector {
  if (!selector) return [];
  const out: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    out.push({ key, op: 'in', values: [String(value)] });
  }
  for (const expr of selector.matchExpressions ?? []) {
    const op = String(expr.operator);
    if (op === 'In')
      out.push({ key: expr.key, op: 'in', values: expr.values ?? [] });
    else if (op === 'NotIn')
      out.push({ key: expr.key, op: 'notin', values: expr.values ?? [] });
    else if (op === 'Exists') out.push({ key: expr.key, op: 'exists' });
    else if (op === 'DoesNotExist') out.push({ key: expr.key, op: '!exists' });
  }
  return out;
}

/** A plain `{key: value}` selector, as Services and ReplicaSets' matchLabels use. */
export function labelSelectorFromMap(map: Record<string, string> | undefined) {
  return Object.entries(map ?? {}).map(
    ([key, value]): Requirement => ({ key, op: 'in', values: [value] }),
  );
}

export function matchesLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  for (const req of selector) {
    const has =
      labels !== undefined &&
      Object.prototype.hasOwnProperty.call(labels, req.key);
    switch (req.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !req.values.includes(labels![req.key])) return false;
        break;
      case 'notin':
        if (has && req.values.includes(labels![req.key])) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A parsed field selector: `path=value` / `path!=value` terms. */
export type FieldSelector = {
  path: string[];
  value: string;
  negate: boolean;
}[];

const FIELD_PATTERN = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/;

/**
 * Parses a field selector. Every resource supports `metadata.name` and
 * `metadata.namespace`; the others are those the real server supports for the resource
 * (for example `spec.nodeName` and `status.phase` on pods, `involvedObject.*` on events).
 */
export function parseFieldSelector(
  text: string | undefined,
  supported: (field: string) => boolean,
): FieldSelector {
  if (!text) return [];
  return splitTopLevel(text).map(part => {
    const m = FIELD_PATTERN.exec(part);
    if (!m)
      throw errors.badRequest(
        `invalid selector: '${text}'; can't understand '${part}'`,
      );
    if (!supported(m[1])) {
      throw errors.badRequest(`field label not supported: ${m[1]}`);
    }
    return { path: m[1].split('.'), value: m[3], negate: m[2] === '!=' };
  });
}

export function matchesFields(
  selector: FieldSelector,
  obj: KubeObject,
): boolean {
  for (const term of selector) {
    let value: any = obj;
    for (const key of term.path) value = value?.[key];
    const text = value === undefined || value === null ? '' : String(value);
    if ((text === term.value) === term.negate) return false;
  }
  return true;
}

const FIELDS_BY_RESOURCE: Record<string, string[]> = {
  '/pods': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  '/events': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  '/secrets': ['type'],
  '/namespaces': ['status.phase'],
  '/nodes': ['spec.unschedulable'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
};

export function supportedFields(key: string) {
  const extra = FIELDS_BY_RESOURCE[key] ?? [];
  return (field: string) =>
    field === 'metadata.name' ||
    field === 'metadata.namespace' ||
    extra.includes(field);
}
