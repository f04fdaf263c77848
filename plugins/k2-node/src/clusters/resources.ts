import {
  ANNOTATION_KUBERNETES_ID,
  LABEL_CONFIG_FILE,
  LABEL_MANAGED_BY,
  LABEL_MIDDLEWARE_INSTANCE,
  LABEL_SERVICE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';

/** A Kubernetes object as the caches hold it: trimmed, plain JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
    managedFields?: unknown;
    [key: string]: unknown;
  };
  spec?: any;
  status?: any;
  [key: string]: any;
}

/** The resource types every cluster cache watches. */
export type WatchedResourceName =
  | 'pods'
  | 'replicasets'
  | 'deployments'
  | 'statefulsets'
  | 'services'
  | 'endpoints'
  | 'horizontalpodautoscalers'
  | 'persistentvolumeclaims'
  | 'configmaps'
  | 'secrets'
  | 'events'
  | 'nodes';

export interface WatchedResource {
  name: WatchedResourceName;
  kind: string;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  basePath: string;
  namespaced: boolean;
  /** Label selector of the list and watch, to cache only what K2 needs. */
  labelSelector?: string;
  /** Keys of the secondary index; the default indexes by service and middleware instance. */
  indexKeys(object: KubeObject): string[];
  /** Drops what nobody reads, to keep the cache small. */
  trim(object: KubeObject): KubeObject;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The generic trim: no `managedFields`, no last-applied annotation (each can be larger
 * than the rest of the object).
 */
export function trimObject(object: KubeObject): KubeObject {
  const { managedFields: _managed, ...metadata } = object.metadata;
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _applied, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  return { ...object, metadata };
}

/** Events keep what the runtime views show; the rest of the object is dropped. */
function trimEvent(event: KubeObject): KubeObject {
  return {
    metadata: {
      name: event.metadata.name,
      namespace: event.metadata.namespace,
      uid: event.metadata.uid,
      resourceVersion: event.metadata.resourceVersion,
      creationTimestamp: event.metadata.creationTimestamp,
    },
    involvedObject: event.involvedObject,
    reason: event.reason,
    message: event.message,
    type: event.type,
    count: event.count ?? event.series?.count,
    firstTimestamp: event.firstTimestamp ?? event.eventTime,
    lastTimestamp:
      event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime,
    source: event.source,
  };
}

/** Index key of the services an object belongs to. */
export function serviceKeys(object: KubeObject): string[] {
  const labels = object.metadata.labels;
  if (!labels) return [];
  const id = labels[ANNOTATION_KUBERNETES_ID];
  const service = labels[LABEL_SERVICE];
  if (id && service && id !== service) return [id, service];
  const key = id ?? service;
  return key ? [key] : [];
}

/**
 * Index key of a middleware instance's objects in one cluster:
 * `middleware/<namespace>/<instance name>`. Never a service's key: a kubernetes-id
 * cannot contain `/`.
 */
export function middlewareKey(namespace: string, instance: string): string {
  return `middleware/${namespace}/${instance}`;
}

/**
 * Index keys of the default index: the services an object belongs to
 * ({@link serviceKeys}) and, for an object labelled `k2.io/middleware`, its instance
 * ({@link middlewareKey}).
 */
export function objectIndexKeys(object: KubeObject): string[] {
  const keys = serviceKeys(object);
  const instance = object.metadata.labels?.[LABEL_MIDDLEWARE_INSTANCE];
  if (instance && object.metadata.namespace) {
    keys.push(middlewareKey(object.metadata.namespace, instance));
  }
  return keys;
}

/** Index key of the object an event is about: `Kind/namespace/name`. */
export function involvedKey(kind: string, namespace: string, name: string) {
  return `${kind}/${namespace}/${name}`;
}

const byService = { indexKeys: objectIndexKeys, trim: trimObject };

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  {
    name: 'pods',
    kind: 'Pod',
    basePath: '/api/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'replicasets',
    kind: 'ReplicaSet',
    basePath: '/apis/apps/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'deployments',
    kind: 'Deployment',
    basePath: '/apis/apps/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'statefulsets',
    kind: 'StatefulSet',
    basePath: '/apis/apps/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'services',
    kind: 'Service',
    basePath: '/api/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'endpoints',
    kind: 'Endpoints',
    basePath: '/api/v1',
    namespaced: true,
    ...byService,
  },
  {
    name: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    basePath: '/apis/autoscaling/v2',
    namespaced: true,
    ...byService,
  },
  {
    name: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    basePath: '/api/v1',
    namespaced: true,
    ...byService,
  },
  {
    // Only K2's own config files: application ConfigMaps can be large and many.
    name: 'configmaps',
    kind: 'ConfigMap',
    basePath: '/api/v1',
    namespaced: true,
    labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_K2}`,
    ...byService,
  },
  {
    // Only the versions of config files marked sensitive, and never their data: the
    // cache knows which Secrets exist (a release checks the one it mounts) but holds
    // no secret value.
    name: 'secrets',
    kind: 'Secret',
    basePath: '/api/v1',
    namespaced: true,
    labelSelector: LABEL_CONFIG_FILE,
    indexKeys: serviceKeys,
    trim: secret => {
      const {
        data: _data,
        stringData: _stringData,
        ...rest
      } = trimObject(secret);
      return rest as KubeObject;
    },
  },
  {
    name: 'events',
    kind: 'Event',
    basePath: '/api/v1',
    namespaced: true,
    indexKeys: event => {
      const o = event.involvedObject;
      return o?.kind && o?.name
        ? [involvedKey(o.kind, o.namespace ?? event.metadata.namespace, o.name)]
        : [];
    },
    trim: trimEvent,
  },
  {
    name: 'nodes',
    kind: 'Node',
    basePath: '/api/v1',
    namespaced: false,
    indexKeys: () => [],
    trim: trimObject,
  },
];
