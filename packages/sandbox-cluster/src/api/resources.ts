/** The definition of one REST resource the sandbox serves. */
export interface ResourceType {
  /** API group; empty for the core group. */
  group: string;
  version: string;
  /** Plural lower-case name used in URLs, e.g. `deployments`. */
  resource: string;
  kind: string;
  listKind: string;
  singularName: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served under the object, e.g. `status`, `scale`, `log`. */
  subresources: string[];
  /** Whether the object has a `spec` whose changes bump `metadata.generation`. */
  generation: boolean;
  /** Whether `status` is written only through the status subresource. */
  statusSubresource: boolean;
}

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function define(
  group: string,
  version: string,
  resource: string,
  kind: string,
  options: Partial<
    Pick<
      ResourceType,
      | 'namespaced'
      | 'shortNames'
      | 'categories'
      | 'subresources'
      | 'generation'
      | 'statusSubresource'
    >
  > = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singularName: kind.toLowerCase(),
    namespaced: options.namespaced ?? true,
    shortNames: options.shortNames,
    categories: options.categories,
    subresources: options.subresources ?? [],
    generation: options.generation ?? false,
    statusSubresource: options.statusSubresource ?? false,
  };
}

const workload = {
  generation: true,
  statusSubresource: true,
  categories: ['all'],
};

/** Every resource the sandbox serves, in discovery order. */
export const RESOURCE_TYPES: ResourceType[] = [
  define('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('', 'v1', 'nodes', 'Node', {
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('', 'v1', 'pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log', 'exec', 'attach', 'ephemeralcontainers'],
    statusSubresource: true,
  }),
  define('', 'v1', 'services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('', 'v1', 'endpoints', 'Endpoints', { shortNames: ['ep'] }),
  define('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  define('', 'v1', 'secrets', 'Secret'),
  define('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  define('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {
    shortNames: ['pvc'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('', 'v1', 'persistentvolumes', 'PersistentVolume', {
    namespaced: false,
    shortNames: ['pv'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  define('', 'v1', 'limitranges', 'LimitRange', { shortNames: ['limits'] }),
  define('', 'v1', 'resourcequotas', 'ResourceQuota', {
    shortNames: ['quota'],
    subresources: ['status'],
    statusSubresource: true,
  }),
  define('apps', 'v1', 'deployments', 'Deployment', {
    ...workload,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
  }),
  define('apps', 'v1', 'replicasets', 'ReplicaSet', {
    ...workload,
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
  }),
  define('apps', 'v1', 'statefulsets', 'StatefulSet', {
    ...workload,
    shortNames: ['sts'],
    subresources: ['status', 'scale'],
  }),
  define('apps', 'v1', 'daemonsets', 'DaemonSet', {
    ...workload,
    shortNames: ['ds'],
    subresources: ['status'],
  }),
  define('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  define(
    'autoscaling',
    'v2',
    'horizontalpodautoscalers',
    'HorizontalPodAutoscaler',
    {
      ...workload,
      shortNames: ['hpa'],
      subresources: ['status'],
    },
  ),
  define('batch', 'v1', 'jobs', 'Job', {
    ...workload,
    subresources: ['status'],
  }),
  define('batch', 'v1', 'cronjobs', 'CronJob', {
    ...workload,
    shortNames: ['cj'],
    subresources: ['status'],
  }),
  define('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {
    generation: true,
    statusSubresource: true,
    shortNames: ['pdb'],
    subresources: ['status'],
  }),
  define('networking.k8s.io', 'v1', 'ingresses', 'Ingress', {
    generation: true,
    statusSubresource: true,
    shortNames: ['ing'],
    subresources: ['status'],
  }),
  define('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', {
    namespaced: false,
    shortNames: ['sc'],
  }),
  // prometheus-operator's custom resources, as a cluster with the operator's CRDs
  // serves them: K2's Alerts backend delivers rule groups and URL probes as these.
  define('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule', {
    generation: true,
    shortNames: ['promrule'],
  }),
  define('monitoring.coreos.com', 'v1', 'probes', 'Probe', {
    generation: true,
  }),
  define('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics'),
  define('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', {
    namespaced: false,
  }),
];

/** Resources computed on read rather than stored (metrics.k8s.io). */
export function isComputedResource(type: ResourceType) {
  return type.group === 'metrics.k8s.io';
}

export function apiVersionOf(type: ResourceType) {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** A stable key for a resource type, e.g. `apps/deployments` or `/pods`. */
export function resourceKey(type: ResourceType) {
  return `${type.group}/${type.resource}`;
}

export function findResourceType(
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return RESOURCE_TYPES.find(
    t => t.group === group && t.version === version && t.resource === resource,
  );
}

/** Verbs listed in discovery for a resource or subresource. */
export function verbsOf(type: ResourceType, subresource?: string) {
  if (isComputedResource(type)) return ['get', 'list'];
  if (subresource === 'log') return ['get'];
  if (subresource === 'exec' || subresource === 'attach')
    return ['create', 'get'];
  if (subresource) return ['get', 'patch', 'update'];
  return ALL_VERBS;
}

/** The kind served by a subresource (`scale` serves autoscaling/v1 Scale). */
export function subresourceKind(type: ResourceType, subresource: string) {
  if (subresource === 'scale')
    return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (subresource === 'log') return { group: '', version: '', kind: 'Pod' };
  if (subresource === 'exec')
    return { group: '', version: '', kind: 'PodExecOptions' };
  if (subresource === 'attach')
    return { group: '', version: '', kind: 'PodAttachOptions' };
  return { group: '', version: '', kind: type.kind };
}
