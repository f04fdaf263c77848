import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /** The Config backend (plugin k2-config). */
    config?: {
      /**
       * Which config file versions keep their ConfigMap or Secret in the clusters.
       * A version's object is removed (the version stays in the history, marked
       * collected) once it is beyond the newest `keepVersions` of its file, older than
       * `minAge`, and mounted by no current or retained release.
       */
      retention?: {
        /** The newest versions of each file that always keep their objects. Default 20. */
        keepVersions?: number;
        /**
         * Versions younger than this keep their objects. Default 30 days.
         */
        minAge?: HumanDuration | string;
        /**
         * How often retention runs. Default 1 hour.
         */
        frequency?: HumanDuration | string;
      };
    };
  };
}
