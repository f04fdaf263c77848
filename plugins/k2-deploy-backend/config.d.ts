import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    releases?: {
      /**
       * How long K2 retries API server errors while applying a release before the
       * release fails with the error. Default 60 s.
       */
      applyRetryTimeout?: HumanDuration | string;
    };
    instances?: {
      /**
       * How long historical containers (runs that ended: replaced, crashed,
       * OOM-killed, evicted, destroyed) are kept. Default 7 days.
       */
      retention?: HumanDuration | string;
    };
  };
}
