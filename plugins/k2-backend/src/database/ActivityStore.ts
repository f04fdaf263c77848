import { K2ActivityList, K2NewActivity } from '@internal/plugin-k2-common';

/** Persistence of the activity log. */
export interface ActivityStore {
  add(entry: K2NewActivity): Promise<void>;
  /** Adds entries in their order, all of them or (on an error) none. */
  addAll(entries: K2NewActivity[]): Promise<void>;
  /** A page of one service's entries, newest first. */
  list(
    service: string,
    options: { limit: number; before?: string },
  ): Promise<K2ActivityList>;
}
