/**
 * Labels K2 puts on the Kubernetes objects it creates, and reads back through the watch
 * caches. `backstage.io/kubernetes-id` (see `ANNOTATION_KUBERNETES_ID`) is set as a label
 * too, so the stock Kubernetes tab finds the same objects.
 */

/** The service's `backstage.io/kubernetes-id`, repeated under K2's own prefix. */
export const LABEL_SERVICE = 'k2.io/service';

/** The K2 environment (`test`, `prod`, ...) an object belongs to. */
export const LABEL_ENVIRONMENT = 'k2.io/environment';

/** The release that created or last changed the object. */
export const LABEL_RELEASE = 'k2.io/release';

/** Standard "managed by" label; K2 sets it to {@link MANAGED_BY_K2}. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** Value of {@link LABEL_MANAGED_BY} on objects K2 owns. */
export const MANAGED_BY_K2 = 'k2';

/** Field manager K2 uses for server-side apply. */
export const K2_FIELD_MANAGER = 'k2';

/**
 * Whether a pod receives traffic: the service's Service selects `on` only, so flipping
 * one pod's label takes it out of the endpoints while it keeps running.
 */
export const LABEL_TRAFFIC = 'k2.io/traffic';

/**
 * Annotation on the Deployment and Service K2 applies for a service: the entity ref of
 * the service they belong to. When another component later claims the same namespace
 * and kubernetes-id in an environment, the service stamped here keeps the claim.
 */
export const ANNOTATION_ENTITY_REF = 'k2.io/entity-ref';

/** Pod template annotation holding the release id that rendered it. */
export const ANNOTATION_RELEASE_ID = 'k2.io/release-id';

/** Pod template annotation a restart sets, so the Deployment rolls its pods. */
export const ANNOTATION_RESTARTED_AT = 'k2.io/restarted-at';

/**
 * Pod annotation K2 sets just before it deletes one instance, so whoever records the
 * pod's end (any backend replica) knows why and by whom: JSON `{ end, actor }`.
 */
export const ANNOTATION_ENDED_BY = 'k2.io/ended-by';

/**
 * Which track of a service a pod runs on: K2 sets `canary` on the pods of a canary
 * Deployment (`<name>-canary`, beside the stable Deployment of the same service and
 * environment); stable pods carry no track label. K2's Nginx upstreams send canary
 * pods only the requests a site's canary route chooses.
 */
export const LABEL_TRACK = 'k2.io/track';

/** Value of {@link LABEL_TRACK} on a canary's pods. */
export const TRACK_CANARY = 'canary';

/**
 * On a PVC K2 created: the volume's name on the Storage tab. The PVC itself is named
 * `<kubernetes-id>-<volume>`, so services sharing a namespace do not collide.
 */
export const LABEL_VOLUME = 'k2.io/volume';

/**
 * On the immutable ConfigMap or Secret holding one version of a config file: the
 * file's name on the Config tab (a valid label value: letters, digits, `.`, `_`, `-`).
 */
export const LABEL_CONFIG_FILE = 'k2.io/config-file';

/** On a config file's ConfigMap or Secret: the content hash its name ends with. */
export const LABEL_CONFIG_HASH = 'k2.io/config-hash';

/**
 * The middleware instance an object belongs to (its name, unique per environment). A
 * middleware instance's objects never carry {@link LABEL_SERVICE}: its pods are not
 * the service's instances, and no Service or Nginx upstream of the service selects
 * them.
 */
export const LABEL_MIDDLEWARE_INSTANCE = 'k2.io/middleware';
