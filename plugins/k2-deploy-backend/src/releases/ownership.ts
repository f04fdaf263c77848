import {
  ANNOTATION_ENTITY_REF,
  ANNOTATION_KUBERNETES_ID,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_SERVICE,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import {
  ClusterCache,
  KubeObject,
  WATCHED_RESOURCES,
} from '@internal/plugin-k2-node';

/**
 * Thrown when an object a release would apply exists and is not this service's: the
 * release fails with the message, and is not retried.
 */
export class ForeignObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignObjectError';
  }
}

/**
 * Checks, before a forced server-side apply, that the object either does not exist yet
 * or is one K2 made for this service: labelled `app.kubernetes.io/managed-by: k2` and
 * `k2.io/service: <the service's kubernetes-id>`. Anything else (another service's
 * object, or one someone made by hand, with Helm, ...) is left alone.
 *
 * Reads the cluster's watch cache, never the API server. Objects of a kind whose cache
 * does not hold every object of that kind (not watched, or watched with a label
 * selector, like the Namespace) are not checked; applying a Namespace sets only its name.
 *
 * @throws ForeignObjectError naming the object and its owner
 * @throws Error (to retry) when the cache has not listed the cluster yet
 */
export function checkOwnership(
  cache: ClusterCache,
  object: KubeObject,
  kubernetesId: string,
): void {
  const resource = WATCHED_RESOURCES.find(
    r =>
      r.kind === object.kind &&
      r.namespaced &&
      !r.labelSelector &&
      object.apiVersion !== undefined &&
      r.basePath.endsWith(`/${object.apiVersion}`),
  );
  if (!resource) return;
  if (!cache.health().syncedAt) {
    throw new Error(
      `cannot yet tell who owns ${object.kind} ${object.metadata.namespace}/${object.metadata.name}: the watch cache of cluster '${cache.name}' has not listed the cluster yet`,
    );
  }
  const current = cache
    .store(resource.name)
    .get(object.metadata.namespace, object.metadata.name);
  if (!current) return;
  const labels = current.metadata.labels ?? {};
  const where = `${object.kind} ${object.metadata.namespace}/${object.metadata.name} in cluster '${cache.name}'`;
  const managedBy = labels[LABEL_MANAGED_BY];
  if (managedBy !== MANAGED_BY_K2) {
    throw new ForeignObjectError(
      `${where} exists and is not K2's (${
        managedBy
          ? `${LABEL_MANAGED_BY}: ${managedBy}`
          : `no ${LABEL_MANAGED_BY}: ${MANAGED_BY_K2} label`
      }); K2 does not apply over it — remove or rename it, or use another namespace`,
    );
  }
  const owner = labels[LABEL_SERVICE];
  if (owner !== kubernetesId) {
    throw new ForeignObjectError(
      `${where} belongs to ${
        owner
          ? `service '${owner}' (${LABEL_SERVICE})`
          : `no K2 service (no ${LABEL_SERVICE} label)`
      }, not to '${kubernetesId}'; K2 does not apply over it`,
    );
  }
}

/**
 * Why K2 may not take over an object it found running under a service's name, or
 * undefined when it may: every mark of ownership the object carries names this service
 * (its `k2.io/entity-ref`, kubernetes-id and `k2.io/service`), this environment, and
 * K2 or no tool as its manager. A Deployment must select its pods by labels only, so
 * that K2's pod template can carry them.
 */
export function adoptionConflict(
  object: KubeObject,
  owner: { ref: string; kubernetesId: string; environment: string },
): string | undefined {
  const labels = object.metadata.labels ?? {};
  const stamp = object.metadata.annotations?.[ANNOTATION_ENTITY_REF];
  const marks: Array<[string, string | undefined, string]> = [
    [LABEL_MANAGED_BY, labels[LABEL_MANAGED_BY], MANAGED_BY_K2],
    [
      ANNOTATION_KUBERNETES_ID,
      labels[ANNOTATION_KUBERNETES_ID],
      owner.kubernetesId,
    ],
    [LABEL_SERVICE, labels[LABEL_SERVICE], owner.kubernetesId],
    [LABEL_ENVIRONMENT, labels[LABEL_ENVIRONMENT], owner.environment],
  ];
  for (const [key, value, expected] of marks) {
    if (value !== undefined && value !== expected) {
      return `it is labelled ${key}: ${value}, not ${expected}`;
    }
  }
  if (
    stamp !== undefined &&
    stamp.toLocaleLowerCase('en-US') !== owner.ref.toLocaleLowerCase('en-US')
  ) {
    return `it belongs to ${stamp} (${ANNOTATION_ENTITY_REF})`;
  }
  if (object.kind === 'Deployment') {
    const selector = object.spec?.selector ?? {};
    if (
      selector.matchExpressions?.length ||
      !Object.keys(selector.matchLabels ?? {}).length
    ) {
      return 'it selects its pods by expressions, and K2 keeps a selector of labels only';
    }
  }
  return undefined;
}
