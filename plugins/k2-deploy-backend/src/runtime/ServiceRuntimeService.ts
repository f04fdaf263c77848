import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  K2ClusterRuntime,
  K2ServiceRuntime,
  k2ServiceRuntimeReadPermission,
} from '@internal/plugin-k2-common';
import {
  Caller,
  ClusterCache,
  K2ActionGate,
  K2ClusterAccess,
  K2ServiceResolver,
  KubeObject,
  WatchedResourceName,
} from '@internal/plugin-k2-node';
import { eventView, podView, workloadView } from './views';

/** Warning events returned per cluster, newest first. */
const MAX_WARNINGS = 20;

/**
 * Assembles a service's runtime view from the watch caches: no API server is called
 * while answering, whatever the number of clusters.
 */
export class ServiceRuntimeService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
  }

  /**
   * @throws NotAllowedError when a policy denies reading this service's runtime
   * @throws NotFoundError when the catalog has no such entity
   */
  async getRuntime(
    ref: CompoundEntityRef,
    caller: Caller,
  ): Promise<K2ServiceRuntime> {
    const entityRef = stringifyEntityRef(ref);
    // The entity usually comes from the in-memory index; the permission decision is
    // asked on every request, so a policy change applies at once.
    const [, service] = await Promise.all([
      this.#gate.authorize(entityRef, caller, {
        permission: k2ServiceRuntimeReadPermission,
        verb: 'read the runtime of',
      }),
      this.#resolver.service(ref),
    ]);
    const { spec } = service;
    return {
      entityRef,
      kubernetesId: spec.kubernetesId,
      problems: spec.problems,
      generatedAt: new Date().toISOString(),
      environments: spec.targets.map(target => ({
        name: target.environment.name,
        title: target.environment.title,
        namespace: target.namespace,
        clusters: target.clusters.map(cluster =>
          clusterRuntime(
            this.#access.cache(cluster.name),
            cluster.weight,
            spec.kubernetesId,
            target.namespace,
          ),
        ),
      })),
    };
  }
}

/**
 * Events about a service's objects in one namespace of one cluster (workloads,
 * ReplicaSets, HPAs and pods), through the cache's events index.
 */
export function serviceEvents(
  cache: ClusterCache,
  serviceId: string,
  namespace: string,
): KubeObject[] {
  const kinds: Array<[string, WatchedResourceName]> = [
    ['Deployment', 'deployments'],
    ['StatefulSet', 'statefulsets'],
    ['HorizontalPodAutoscaler', 'horizontalpodautoscalers'],
    ['ReplicaSet', 'replicasets'],
    ['Pod', 'pods'],
  ];
  return kinds.flatMap(([kind, resource]) =>
    cache
      .byService(resource, serviceId)
      .filter(o => o.metadata.namespace === namespace)
      .flatMap(o => cache.eventsFor(kind, namespace, o.metadata.name)),
  );
}

function clusterRuntime(
  cache: ClusterCache,
  weight: number,
  serviceId: string,
  namespace: string,
): K2ClusterRuntime {
  const inNamespace = (objects: KubeObject[]) =>
    objects.filter(o => o.metadata.namespace === namespace);
  const deployments = inNamespace(cache.byService('deployments', serviceId));
  const statefulSets = inNamespace(cache.byService('statefulsets', serviceId));
  const autoscalers = inNamespace(
    cache.byService('horizontalpodautoscalers', serviceId),
  );
  const pods = inNamespace(cache.byService('pods', serviceId));

  const replicaSets = cache.store('replicasets');
  const workloadOf = (owner: { kind: string; name: string }) => {
    if (owner.kind === 'StatefulSet') return owner.name;
    if (owner.kind !== 'ReplicaSet') return undefined;
    const rs = replicaSets.get(namespace, owner.name);
    return rs?.metadata.ownerReferences?.find(o => o.controller)?.name;
  };

  const warnings = serviceEvents(cache, serviceId, namespace)
    .filter(e => e.type === 'Warning')
    .map(eventView)
    .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
    .slice(0, MAX_WARNINGS);

  const byName = (a: { name: string }, b: { name: string }) =>
    a.name.localeCompare(b.name);
  return {
    cluster: cache.name,
    weight,
    health: cache.health(),
    workloads: [...deployments, ...statefulSets]
      .map(w => workloadView(w, autoscalers))
      .sort(byName),
    pods: pods.map(p => podView(p, workloadOf)).sort(byName),
    warnings,
  };
}
