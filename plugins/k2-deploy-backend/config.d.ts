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
  };
}
