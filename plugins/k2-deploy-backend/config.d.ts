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
  };
}
