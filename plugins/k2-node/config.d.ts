import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    serviceIndex?: {
      /**
       * How often each K2 backend plugin re-reads the catalog's K2 services (Components
       * with `k2.io/environments`) into memory. A service registered in between is read
       * from the catalog on first use. Default 30 s.
       */
      refreshInterval?: HumanDuration | string;
    };
    /**
     * How K2's watch caches talk to the clusters. Every key is optional; the defaults
     * suit production. Documented in docs/configuration.md.
     */
    clusterAccess?: {
      /** A watch with no event and no bookmark for this long is restarted. Default 150 s. */
      silentWatchTimeout?: HumanDuration | string;
      /** Watch sessions last between this and twice this, then resume. Default 5 min. */
      watchSession?: HumanDuration | string;
      backoff?: {
        /** First retry delay after a failure. Default 500 ms. */
        initial?: HumanDuration | string;
        /** Longest retry delay (jittered exponential backoff). Default 8 s. */
        max?: HumanDuration | string;
      };
      /** Items per list page. Default 500. */
      pageSize?: number;
      /** Deadline of one list page or apply. Default 60 s. */
      requestTimeout?: HumanDuration | string;
      consistencyCheck?: {
        /**
         * Mean time between two consistency checks of one resource type of one
         * cluster (each waits 0.75 to 1.25 times this). A check is one
         * `LIST ?limit=1` that compares the server's object count with the cache's;
         * when a watch lost events, the cluster is reported degraded and its cache
         * relisted. Lost additions and deletions are noticed within about two
         * intervals. Default 15 s.
         */
        interval?: HumanDuration | string;
      };
    };
  };
}
