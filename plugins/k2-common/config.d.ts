export interface Config {
  /** K2: the container cloud platform. Documented in docs/configuration.md. */
  k2?: {
    /**
     * Group whose members administer K2 and may act on every service,
     * e.g. `group:default/platform-admins`.
     * @visibility frontend
     */
    platformAdminGroup?: string;

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
