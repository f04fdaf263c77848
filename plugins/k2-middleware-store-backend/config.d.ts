import { HumanDuration } from '@backstage/types';

export interface Config {
  k2?: {
    /** The Middleware store backend (plugin k2-middleware-store). */
    middleware?: {
      /** The lifecycle task: reminders, expiry, deletion with backup, restores, retention. */
      lifecycle?: {
        /** How often it runs (one backend replica at a time). Default 30 seconds. */
        frequency?: HumanDuration | string;
      };
      /**
       * Each environment's middleware policy, by environment name (one of
       * `k2.environments`). An environment not listed: instances never expire and stay
       * restorable for 7 days after deletion.
       */
      environments?: {
        [environment: string]: {
          /**
           * Days a new instance lives unless its owners renew it. Absent: instances
           * here never expire (and `maxTtlDays`, `reminderDays` may not be set).
           */
          ttlDays?: number;
          /**
           * How far from now a creation or renewal may set the expiry, in days.
           * Default `ttlDays`; at least `ttlDays`.
           */
          maxTtlDays?: number;
          /**
           * Days before expiry the owners get a reminder. Default 1 (none for a
           * one-day time to live); less than `ttlDays`.
           */
          reminderDays?: number;
          /** Days a deleted or expired instance stays restorable. Default 7. */
          retentionDays?: number;
        };
      };
    };
  };
}
