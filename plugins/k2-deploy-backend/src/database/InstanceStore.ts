import { K2HistoricalContainer } from '@internal/plugin-k2-common';

/** A container run to record; `serviceId` is the service's kubernetes-id. */
export interface EndedContainer extends K2HistoricalContainer {
  serviceId: string;
}

export interface InstanceHistoryQuery {
  serviceId: string;
  /** Environments with the namespace the service runs in there. */
  targets: Array<{ environment: string; namespace: string }>;
  cluster?: string;
  limit: number;
  /** A cursor from a previous page. */
  before?: string;
}

/** Historical containers: container runs that ended, newest first. */
export interface InstanceStore {
  /** Records runs; a run already recorded (by this or another replica) is kept as is. */
  record(runs: EndedContainer[]): Promise<void>;
  list(
    query: InstanceHistoryQuery,
  ): Promise<{ items: K2HistoricalContainer[]; nextCursor?: string }>;
  /** Deletes runs that ended before `date`; returns how many. */
  deleteEndedBefore(date: Date): Promise<number>;
}
