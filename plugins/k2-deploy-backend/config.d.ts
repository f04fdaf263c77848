import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    releases?: {
      /**
       * How long K2 retries API server errors while applying a release before the
       * release fails with the error. Default 60 s.
       */
      applyRetryTimeout?: HumanDuration | string;
      /**
       * How long a release may wait for approval; after that the release driver moves
       * it to `expired`. Default 72 hours.
       */
      approvalTimeout?: HumanDuration | string;
      /**
       * How long the release driver waits for one apply or delete in a cluster before it
       * counts as failed (and is retried within applyRetryTimeout). A cluster that
       * answers nothing then holds only the releases that touch it, for this long per
       * step. Default 10 s.
       */
      clusterCallTimeout?: HumanDuration | string;
      /**
       * How many releases per environment that succeeded count as retained for
       * rollback: the volumes and config file versions they mount (beside those of
       * releases waiting for approval or in flight) are in use, so Storage does not
       * delete such a volume and Config does not delete or garbage-collect such a
       * version. A whole number of at least 1. Default 10.
       */
      retainedForRollback?: number;
      /**
       * Before any release (a release, its preview, a rollback, a canary, and again
       * when an approval lets a waiting release go) K2 looks its image up in the
       * registry: an image missing there is refused with 400, a registry that cannot
       * be asked with 503, and the digest found is recorded on the release.
       */
      imageCheck?: {
        /**
         * Releases of an image whose registry is not in `k2.registries` (K2 cannot ask
         * it): `allow` releases them unchecked (the preview says "not checked"),
         * `refuse` refuses them with 400. Default `allow`.
         */
        unlistedRegistries?: 'allow' | 'refuse';
      };
    };
    instances?: {
      /**
       * How long historical containers (runs that ended: replaced, crashed,
       * OOM-killed, evicted, destroyed) are kept. Default 7 days.
       */
      retention?: HumanDuration | string;
      /** Bounds of log streams. */
      logs?: {
        /** Followed logs one user may have open at once; one more is a 429. Default 5. */
        maxFollowsPerUser?: number;
        /** Followed logs open at once over all users; one more is a 429. Default 200. */
        maxFollows?: number;
        /**
         * A followed log ends after this long, with a last line saying so. Default 1 hour.
         */
        maxFollowDuration?: HumanDuration | string;
        /**
         * How long to wait for the cluster to start a log stream before answering 504.
         * Default 15 s.
         */
        connectTimeout?: HumanDuration | string;
      };
    };
    /**
     * Web shells into a service's containers and debug containers in its pods, from
     * the instance panel. Opening one needs `k2.instance.exec` (the service's owners in
     * K2's policy) and the environment's permission here; every session is recorded
     * (who, which pod, start, end, the lines typed) for platform admins and written to
     * the service's activity log.
     */
    shell?: {
      /** No input or output for this long ends a session. Default 15 minutes. */
      idleTimeout?: HumanDuration | string;
      /** A session ends after this long. Default 2 hours. */
      maxDuration?: HumanDuration | string;
      /** Sessions one user may have open at once; one more is a 429. Default 3. */
      maxSessionsPerUser?: number;
      /** Sessions open at once over all users; one more is a 429. Default 50. */
      maxSessions?: number;
      /**
       * The images debug containers may run, as the debug dialog offers them. Empty
       * (the default): no debug containers anywhere.
       */
      debugImages?: Array<{
        /** The name the dialog and the API use, e.g. `busybox`. */
        name: string;
        /** The image reference, e.g. `busybox:1.36`. */
        image: string;
        /** What it holds, shown in the dialog. */
        description?: string;
      }>;
      /**
       * Per environment (by name): whether shells and debug containers are allowed.
       * An environment not listed allows both unless it is `production: true`.
       */
      environments?: {
        [environment: string]: {
          /** Shells into running containers. Default: not a production environment. */
          shell?: boolean;
          /** Debug containers. Default: not a production environment. */
          debug?: boolean;
          /**
           * Whether a shell may open in a container running as uid 0. Default false:
           * such a shell is refused (409) and a debug container suggested.
           */
          allowRoot?: boolean;
          /** The uid debug containers run as (never root). Default 1000. */
          debugUser?: number;
        };
      };
    };
  };
}
