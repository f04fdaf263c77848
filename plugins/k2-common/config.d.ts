export interface Config {
  /** K2: the container cloud platform. Documented in docs/configuration.md. */
  k2?: {
    /**
     * Group whose members administer K2 and may act on every service,
     * e.g. `group:default/platform-admins`.
     * @visibility frontend
     */
    platformAdminGroup?: string;

    /** Approvals of releases to environments with `approval.required`. */
    approvals?: {
      /**
       * Whether the person who asked for a release may approve or reject it
       * themselves. Defaults to false: four eyes, platform admins included.
       */
      requesterMayApprove?: boolean;
    };

    /**
     * The environments services are released to. Each names the clusters it spans;
     * cluster names refer to clusters declared under `kubernetes.clusterLocatorMethods`.
     * @visibility frontend
     */
    environments: Array<{
      /**
       * Short lowercase name, part of the release four-tuple, e.g. `test`, `prod`.
       * @visibility frontend
       */
      name: string;
      /** @visibility frontend */
      title?: string;
      /** @visibility frontend */
      description?: string;
      /**
       * A production environment: readiness probes become mandatory. Defaults to false.
       * @visibility frontend
       */
      production?: boolean;
      /** @visibility frontend */
      approval?: {
        /**
         * Whether changes wait for approval. Defaults to false (self-service).
         * @visibility frontend
         */
        required?: boolean;
        /**
         * Group whose members approve, e.g. `group:default/release-approvers`.
         * Required when `required` is true.
         * @visibility frontend
         */
        approverGroup?: string;
      };
      /**
       * Namespaces services may use in this environment. System namespaces (`default`,
       * `kube-system`, `kube-public`, `kube-node-lease`, any `kube-*`) are never allowed.
       * @visibility frontend
       */
      namespaces?: {
        /**
         * Patterns of allowed namespaces; `*` stands for any characters, e.g.
         * `payments-*`. Leave out to allow any namespace that is not a system one.
         * @visibility frontend
         */
        allowed?: string[];
      };
      /**
       * Clusters of this environment; replicas are split by weight.
       * @visibility frontend
       */
      clusters: Array<{
        /**
         * A cluster name from `kubernetes.clusterLocatorMethods[].clusters[].name`.
         * @visibility frontend
         */
        name: string;
        /**
         * Relative share of replicas (positive integer). Defaults to 1.
         * @visibility frontend
         */
        weight?: number;
      }>;
      /**
       * What a release gets when the service does not say otherwise.
       * @visibility frontend
       */
      defaults?: {
        /**
         * Replicas per release. Defaults to 1.
         * @visibility frontend
         */
        replicas?: number;
        /**
         * Container limits in Kubernetes notation. Defaults to 1 CPU and 1Gi.
         * @visibility frontend
         */
        resources?: {
          /** @visibility frontend */
          cpu?: string;
          /** @visibility frontend */
          memory?: string;
        };
        /**
         * Limit ÷ request ratios; 4 requests a quarter of the limit. Defaults to 1.
         * @visibility frontend
         */
        overcommit?: {
          /** @visibility frontend */
          cpu?: number;
          /** @visibility frontend */
          memory?: number;
        };
      };
      /**
       * Wildcard domain; every service gets `<service>.<environment>.<wildcardDomain>`.
       * @visibility frontend
       */
      wildcardDomain?: string;
      /**
       * Where services of this environment build their images when
       * `k2.builds.runner` is `kubernetes` (a service builds where the first
       * environment of its `k2.io/environments` says). Default: the environment's
       * first cluster, in `k2.builds.kubernetes.namespace` (`k2-builds`).
       */
      builds?: {
        /** A cluster declared under `kubernetes.clusterLocatorMethods`. */
        cluster?: string;
        /** The namespace the build Jobs run in; it must exist. */
        namespace?: string;
      };
      /** How releases roll out in this environment. */
      release?: {
        /**
         * Seconds a rollout may take before the release fails as timed out. Default 600.
         * @visibility frontend
         */
        timeoutSeconds?: number;
        /**
         * Roll back to the last successful release when a release fails. Default false.
         * @visibility frontend
         */
        autoRollback?: boolean;
        /**
         * Seconds a terminating pod keeps serving (preStop) so endpoints drop it before
         * SIGTERM. Default 10.
         * @visibility frontend
         */
        drainSeconds?: number;
      };
      /**
       * Bounds of this environment. A release, scale or autoscaling change outside them
       * is refused with 400 naming the field and the limit; an annotation outside them
       * is a problem on the service card.
       * @visibility frontend
       */
      limits?: {
        /**
         * Largest CPU limit of one container, e.g. `8` or `500m`. No bound when absent.
         * @visibility frontend
         */
        maxCpu?: string;
        /**
         * Largest memory limit of one container, e.g. `16Gi`. No bound when absent.
         * @visibility frontend
         */
        maxMemory?: string;
        /**
         * Most replicas a service may run, autoscaling's maximum included. No bound
         * when absent.
         * @visibility frontend
         */
        maxReplicas?: number;
        /**
         * PriorityClass names services may ask for with `k2.io/priority-class`.
         * Absent or empty: none.
         * @visibility frontend
         */
        priorityClasses?: string[];
        /**
         * Node labels services may select with `k2.io/node-selector`: a key (`pool`)
         * allows any value, `key=value` (`pool=payments`) that value only. Absent or
         * empty: none.
         * @visibility frontend
         */
        nodeSelectors?: string[];
      };
    }>;

    /**
     * Development sign-in: pick which demo user you are. The backend refuses to start
     * with it enabled when NODE_ENV is production.
     * @visibility frontend
     */
    devSignIn?: {
      /** @visibility frontend */
      enabled?: boolean;
      /**
       * Demo users offered on the sign-in page.
       * @visibility frontend
       */
      personas?: Array<{
        /** @visibility frontend */
        userEntityRef: string;
        /** @visibility frontend */
        description?: string;
      }>;
    };
  };
}
