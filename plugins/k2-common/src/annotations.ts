/**
 * Catalog annotations K2 reads from a service's `Component` entity.
 *
 * Every key is documented, with examples, in `docs/annotations.md`; keep the two in step.
 */

/** Prefix shared by every K2 annotation. */
export const K2_ANNOTATION_PREFIX = 'k2.io/';

/** Comma-separated names of the environments the service runs in, e.g. `test,prod`. */
export const ANNOTATION_ENVIRONMENTS = 'k2.io/environments';

/**
 * Prefix of the per-environment cluster restriction, e.g. `k2.io/clusters.prod: prod-a`.
 * Without it the service runs in every cluster of the environment.
 */
export const ANNOTATION_CLUSTERS_PREFIX = 'k2.io/clusters.';

/** Prefix of the per-environment default replica count, e.g. `k2.io/replicas.prod: "4"`. */
export const ANNOTATION_REPLICAS_PREFIX = 'k2.io/replicas.';

/** Kubernetes namespace of the service's workloads; defaults to the entity's system. */
export const ANNOTATION_NAMESPACE = 'k2.io/namespace';

/** Implementation language: drives Dockerfile templates and JVM container options. */
export const ANNOTATION_LANGUAGE = 'k2.io/language';

/** Image repository (without tag) that releases pick a tag from. */
export const ANNOTATION_IMAGE = 'k2.io/image';

/** Container port the service listens on. */
export const ANNOTATION_PORT = 'k2.io/port';

/** HTTP path used for readiness and liveness probes. */
export const ANNOTATION_HEALTH_PATH = 'k2.io/health-path';

/**
 * Service profile: node labels the service's pods must run on, comma-separated
 * `key=value` pairs, e.g. `pool=payments,disk=ssd`.
 */
export const ANNOTATION_NODE_SELECTOR = 'k2.io/node-selector';

/** Service profile: the Kubernetes PriorityClass of the service's pods. */
export const ANNOTATION_PRIORITY_CLASS = 'k2.io/priority-class';

/**
 * The stock Backstage Kubernetes annotation; K2 sets the same value as a label on every
 * object it creates so the stock Kubernetes tab sees K2's workloads.
 */
export const ANNOTATION_KUBERNETES_ID = 'backstage.io/kubernetes-id';

/** Languages K2 has release templates for. */
export const K2_LANGUAGES = ['java', 'node', 'go', 'python'] as const;

/** @see K2_LANGUAGES */
export type K2Language = (typeof K2_LANGUAGES)[number];

/**
 * Container-aware heap sizing for Java services: set as `JAVA_TOOL_OPTIONS` by releases
 * and baked into the images K2's Dockerfiles build.
 */
export const K2_JVM_OPTIONS =
  '-XX:+UseContainerSupport -XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50.0 -XX:+ExitOnOutOfMemoryError';

/** Release defaults applied when a service sets no `k2.io/port` or `k2.io/health-path`. */
export const DEFAULT_PORT = 8080;
/** @see DEFAULT_PORT */
export const DEFAULT_HEALTH_PATH = '/healthz';
