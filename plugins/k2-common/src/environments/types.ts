/** A cluster taking part in an environment, with its share of the replicas. */
export interface K2EnvironmentCluster {
  /** Name of a cluster declared in the Kubernetes plugin's config. */
  name: string;
  /** Relative share of replicas; weights of an environment need not add up to 100. */
  weight: number;
}

/** Resource quantities in Kubernetes notation, e.g. `cpu: '500m'`, `memory: '1Gi'`. */
export interface K2Resources {
  cpu: string;
  memory: string;
}

/** Limit ÷ request ratios: a ratio of 4 requests a quarter of the limit. */
export interface K2Overcommit {
  cpu: number;
  memory: number;
}

/** What a release gets when the service does not say otherwise. */
export interface K2EnvironmentDefaults {
  replicas: number;
  resources: K2Resources;
  overcommit: K2Overcommit;
}

/**
 * Namespaces services may use in an environment. System namespaces (`default`, `kube-*`)
 * are never allowed, whatever is listed.
 */
export interface K2NamespacePolicy {
  /**
   * Patterns of allowed namespaces, `*` standing for any characters, e.g. `payments-*`;
   * absent: any namespace that is not a system namespace.
   */
  allowed?: string[];
}

/** Who must approve changes in an environment. */
export interface K2Approval {
  required: boolean;
  /** Entity ref of the group whose members approve, e.g. `group:default/release-approvers`. */
  approverGroup?: string;
}

/** How releases roll out in an environment. */
export interface K2ReleasePolicy {
  /** A rollout not complete after this many seconds fails as timed out. */
  timeoutSeconds: number;
  /** Roll back to the last successful release when a release fails. */
  autoRollback: boolean;
  /** Seconds a terminating pod keeps serving (preStop) before SIGTERM. */
  drainSeconds: number;
}

/**
 * Bounds an operator sets per environment; a release, scale or autoscaling change
 * outside them is refused. Placement (priority class, node selector) is deny by
 * default: a service may only ask for what is listed.
 */
export interface K2EnvironmentLimits {
  /** Largest CPU limit of one container, in millicores; no bound when absent. */
  maxCpuMillicores?: number;
  /** Largest memory limit of one container, in bytes; no bound when absent. */
  maxMemoryBytes?: number;
  /** Most replicas a service may run, autoscaling's maximum included; no bound when absent. */
  maxReplicas?: number;
  /** PriorityClass names services may ask for (`k2.io/priority-class`). */
  priorityClasses: string[];
  /**
   * Node labels services may select (`k2.io/node-selector`): a key allows any value,
   * `key=value` that value only.
   */
  nodeSelectors: string[];
}

/** The cluster and namespace build Jobs run in. */
export interface K2BuildPlacement {
  /** Default: the environment's first cluster. */
  cluster: string;
  /** Default: `k2.builds.kubernetes.namespace`, else `k2-builds`. */
  namespace?: string;
}

/** One environment (`test`, `prod`, ...) of the K2 environment model. */
export interface K2Environment {
  name: string;
  title: string;
  description?: string;
  /** Whether this is a production environment: readiness probes become mandatory. */
  production: boolean;
  approval: K2Approval;
  clusters: K2EnvironmentCluster[];
  /** Namespaces services may use here; see {@link K2NamespacePolicy}. */
  namespaces?: K2NamespacePolicy;
  defaults: K2EnvironmentDefaults;
  /**
   * Wildcard domain: services get `<service>.<environment>.<wildcardDomain>` without asking.
   */
  wildcardDomain?: string;
  /**
   * Where services of this environment build images in a cluster (`k2.builds.runner:
   * kubernetes`); always set by the config reader.
   */
  builds?: K2BuildPlacement;
  release: K2ReleasePolicy;
  limits: K2EnvironmentLimits;
}

/** The whole K2 environment model read from config. */
export interface K2EnvironmentModel {
  environments: K2Environment[];
  /** Entity ref of the group whose members administer K2 and may act on every service. */
  platformAdminGroup?: string;
}
