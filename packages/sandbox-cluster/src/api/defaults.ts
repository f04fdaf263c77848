import { createHash } from 'crypto';
import { errors } from './errors';
import { labelSelectorFromObject, matchesLabels } from './selectors';
import { ResourceType } from './resources';
import { KubeObject } from './types';

/* eslint-disable no-param-reassign */

type Cause = { field: string; message: string; reason?: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Resources whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['namespaces', 'services']);

export function nowTimestamp(time = Date.now()) {
  return new Date(time).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Applies the API's defaults to a new or updated object of the given type. */
export function applyDefaults(type: ResourceType, obj: KubeObject) {
  switch (`${type.group}/${type.resource}`) {
    case '/pods':
      defaultPodSpec(obj.spec);
      break;
    case 'apps/deployments':
      obj.spec.replicas ??= 1;
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.progressDeadlineSeconds ??= 600;
      obj.spec.strategy ??= { type: 'RollingUpdate' };
      if ((obj.spec.strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
        obj.spec.strategy.type = 'RollingUpdate';
        obj.spec.strategy.rollingUpdate = {
          maxUnavailable: '25%',
          maxSurge: '25%',
          ...obj.spec.strategy.rollingUpdate,
        };
      }
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case 'apps/replicasets':
      obj.spec.replicas ??= 1;
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case 'apps/statefulsets':
      obj.spec.replicas ??= 1;
      obj.spec.podManagementPolicy ??= 'OrderedReady';
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.updateStrategy ??= {
        type: 'RollingUpdate',
        rollingUpdate: { partition: 0 },
      };
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case 'apps/daemonsets':
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.updateStrategy ??= {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
      };
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case 'batch/jobs':
      obj.spec.parallelism ??= 1;
      obj.spec.completions ??= 1;
      obj.spec.backoffLimit ??= 6;
      obj.spec.completionMode ??= 'NonIndexed';
      obj.spec.suspend ??= false;
      if (obj.spec.template) {
        obj.spec.template.spec ??= {};
        obj.spec.template.spec.restartPolicy ??= 'Never';
      }
      defaultPodSpec(obj.spec.template?.spec);
      break;
    case 'batch/cronjobs':
      obj.spec.concurrencyPolicy ??= 'Allow';
      obj.spec.suspend ??= false;
      obj.spec.successfulJobsHistoryLimit ??= 3;
      obj.spec.failedJobsHistoryLimit ??= 1;
      break;
    case '/services':
      obj.spec.type ??= 'ClusterIP';
      obj.spec.sessionAffinity ??= 'None';
      for (const port of obj.spec.ports ?? []) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
      break;
    case '/persistentvolumeclaims':
      obj.spec.volumeMode ??= 'Filesystem';
      break;
    case '/secrets':
      obj.type ??= 'Opaque';
      break;
    case '/namespaces':
      obj.metadata.labels = {
        ...obj.metadata.labels,
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      obj.spec = { finalizers: ['kubernetes'], ...obj.spec };
      break;
    case 'autoscaling/horizontalpodautoscalers':
      obj.spec.minReplicas ??= 1;
      break;
    case 'storage.k8s.io/storageclasses':
      obj.reclaimPolicy ??= 'Delete';
      obj.volumeBindingMode ??= 'Immediate';
      break;
    default:
  }
}

function defaultPodSpec(spec: any) {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
  ]) {
    const tag = /:[^/]+$/.exec(c.image ?? '')?.[0];
    c.imagePullPolicy ??= !tag || tag === ':latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const port of c.ports ?? []) port.protocol ??= 'TCP';
  }
}

/** The status a new object starts with (the server resets client-sent status). */
export function initialStatus(type: ResourceType, obj: KubeObject) {
  switch (`${type.group}/${type.resource}`) {
    case '/pods':
      return { phase: 'Pending', qosClass: qosClass(obj.spec) };
    case '/namespaces':
      return { phase: 'Active' };
    case '/persistentvolumeclaims':
      return { phase: 'Pending' };
    case '/services':
      return { loadBalancer: {} };
    case 'batch/cronjobs':
    case 'apps/deployments':
    case 'apps/replicasets':
      return type.resource === 'replicasets' ? { replicas: 0 } : {};
    case 'apps/statefulsets':
      return { replicas: 0, availableReplicas: 0 };
    case 'apps/daemonsets':
      return {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      };
    default:
      return obj.status ?? (type.statusSubresource ? {} : undefined);
  }
}

function qosClass(spec: any) {
  const containers: any[] = spec?.containers ?? [];
  const all = containers.map(c => c.resources ?? {});
  if (all.every(r => !r.limits && !r.requests)) return 'BestEffort';
  const guaranteed = all.every(
    r =>
      r.limits?.cpu &&
      r.limits?.memory &&
      (!r.requests?.cpu || r.requests.cpu === r.limits.cpu) &&
      (!r.requests?.memory || r.requests.memory === r.limits.memory),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function checkPodSpec(spec: any, field: string, causes: Cause[]) {
  if (!spec) {
    causes.push({
      field,
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
    return;
  }
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    causes.push({
      field: `${field}.containers`,
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
    return;
  }
  const names = new Set<string>();
  containers.forEach((c: any, i: number) => {
    const at = `${field}.containers[${i}]`;
    if (!c?.name) {
      causes.push({
        field: `${at}.name`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    } else if (!DNS_LABEL.test(c.name)) {
      causes.push({
        field: `${at}.name`,
        message: `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
      });
    } else if (names.has(c.name)) {
      causes.push({
        field: `${at}.name`,
        message: `Duplicate value: "${c.name}"`,
        reason: 'FieldValueDuplicate',
      });
    }
    names.add(c?.name);
    if (!c?.image) {
      causes.push({
        field: `${at}.image`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    }
    for (const [kind, value] of Object.entries({
      ...(c?.resources?.requests ?? {}),
    })) {
      const limit = c?.resources?.limits?.[kind];
      if (
        limit !== undefined &&
        quantity(String(value)) > quantity(String(limit))
      ) {
        causes.push({
          field: `${at}.resources.requests`,
          message: `Invalid value: "${value}": must be less than or equal to ${kind} limit of ${limit}`,
        });
      }
    }
  });
}

/** Parses a Kubernetes quantity ("500m", "1Gi", "2") into a number of base units. */
export function quantity(text: string | number | undefined): number {
  if (text === undefined) return 0;
  if (typeof text === 'number') return text;
  const m = /^([0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]+)?$/.exec(
    text.trim(),
  );
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    P: 1e15,
    E: 1e18,
    Pi: 1024 ** 5,
    Ei: 1024 ** 6,
  };
  if (unit.startsWith('e')) return n * 10 ** Number(unit.slice(1));
  return n * factors[unit];
}

function checkSelector(obj: KubeObject, causes: Cause[]) {
  const selector = obj.spec?.selector;
  if (!selector || (!selector.matchLabels && !selector.matchExpressions)) {
    causes.push({
      field: 'spec.selector',
      message: 'Required value',
      reason: 'FieldValueRequired',
    });
    return;
  }
  const labels = obj.spec?.template?.metadata?.labels;
  if (!matchesLabels(labelSelectorFromObject(selector), labels)) {
    causes.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(
        labels ?? {},
      )}: \`selector\` does not match template \`labels\``,
    });
  }
}

function checkNonNegative(value: unknown, field: string, causes: Cause[]) {
  if (
    value !== undefined &&
    !(Number.isInteger(value) && (value as number) >= 0)
  ) {
    causes.push({
      field,
      message: `Invalid value: ${JSON.stringify(
        value,
      )}: must be greater than or equal to 0`,
    });
  }
}

/** Validates an object as the real API server would, throwing 422 Invalid. */
export function validate(
  type: ResourceType,
  obj: KubeObject,
  old?: KubeObject,
) {
  const causes: Cause[] = [];
  const name = obj.metadata.name;
  const pattern = LABEL_NAMED.has(type.resource) ? DNS_LABEL : DNS_SUBDOMAIN;
  const maxLength = LABEL_NAMED.has(type.resource) ? 63 : 253;
  if (!pattern.test(name) || name.length > maxLength) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${
        LABEL_NAMED.has(type.resource) ? 'label' : 'subdomain'
      } must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  for (const key of Object.keys(obj.metadata.labels ?? {})) {
    if (!LABEL_KEY.test(key)) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      });
    }
  }
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    if (
      typeof value !== 'string' ||
      !LABEL_VALUE.test(value) ||
      value.length > 63
    ) {
      causes.push({
        field: 'metadata.labels',
        message: `Invalid value: "${String(
          value,
        )}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (label ${key})`,
      });
    }
  }
  for (const [key, value] of Object.entries(obj.metadata.annotations ?? {})) {
    if (typeof value !== 'string') {
      causes.push({
        field: `metadata.annotations`,
        message: `Invalid value: annotation ${key} must be a string`,
      });
    }
  }
  const spec = obj.spec;
  switch (`${type.group}/${type.resource}`) {
    case '/pods':
      checkPodSpec(spec, 'spec', causes);
      break;
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/statefulsets':
    case 'apps/daemonsets':
      checkSelector(obj, causes);
      checkNonNegative(spec?.replicas, 'spec.replicas', causes);
      checkPodSpec(spec?.template?.spec, 'spec.template.spec', causes);
      if (
        old &&
        JSON.stringify(old.spec?.selector) !== JSON.stringify(spec?.selector)
      ) {
        causes.push({
          field: 'spec.selector',
          message: `Invalid value: ${JSON.stringify(
            spec?.selector,
          )}: field is immutable`,
        });
      }
      break;
    case 'batch/jobs':
      checkPodSpec(spec?.template?.spec, 'spec.template.spec', causes);
      break;
    case '/services':
      if (spec?.type !== 'ExternalName' && !(spec?.ports?.length > 0)) {
        causes.push({
          field: 'spec.ports',
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      }
      if (
        old &&
        old.spec?.clusterIP &&
        spec?.clusterIP &&
        old.spec.clusterIP !== spec.clusterIP
      ) {
        causes.push({
          field: 'spec.clusterIP',
          message: 'Invalid value: field is immutable',
        });
      }
      break;
    case '/configmaps':
    case '/secrets':
      for (const key of Object.keys({
        ...obj.data,
        ...obj.binaryData,
        ...obj.stringData,
      })) {
        if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
          causes.push({
            field: `data[${key}]`,
            message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
          });
        }
      }
      if (
        old?.immutable &&
        JSON.stringify(old.data) !== JSON.stringify(obj.data)
      ) {
        causes.push({
          field: 'data',
          message: 'Forbidden: field is immutable when `immutable` is set',
          reason: 'FieldValueForbidden',
        });
      }
      break;
    case '/persistentvolumeclaims':
      if (!spec?.resources?.requests?.storage) {
        causes.push({
          field: 'spec.resources[storage]',
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      }
      if (!(spec?.accessModes?.length > 0)) {
        causes.push({
          field: 'spec.accessModes',
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      }
      if (
        old?.status?.phase === 'Bound' &&
        quantity(spec?.resources?.requests?.storage) <
          quantity(old.spec?.resources?.requests?.storage)
      ) {
        causes.push({
          field: 'spec.resources.requests.storage',
          message: 'Forbidden: field can not be less than previous value',
          reason: 'FieldValueForbidden',
        });
      }
      break;
    case 'autoscaling/horizontalpodautoscalers':
      if (!spec?.scaleTargetRef?.name) {
        causes.push({
          field: 'spec.scaleTargetRef.name',
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      }
      if (!(spec?.maxReplicas >= 1)) {
        causes.push({
          field: 'spec.maxReplicas',
          message: 'Invalid value: must be greater than or equal to 1',
        });
      }
      if (spec?.minReplicas > spec?.maxReplicas) {
        causes.push({
          field: 'spec.minReplicas',
          message: 'Invalid value: must be less than or equal to maxReplicas',
        });
      }
      break;
    default:
  }
  if (causes.length > 0) throw errors.invalid(type, name, causes);
}

/** The pod-template-hash the Deployment controller gives a ReplicaSet. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
}

/** A random 5-character suffix in the alphabet Kubernetes uses for generated names. */
export function randomSuffix(length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < length; i++)
    out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}
