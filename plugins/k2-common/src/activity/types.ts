/**
 * One entry of a service's activity log: every mutating action any K2 capability takes
 * on a service, who took it and how it ended (refusals included).
 */
export interface K2Activity {
  id: string;
  service: string;
  environment?: string;
  actor: string;
  /** e.g. `release-create`, `release-approve`, `scale`, `restart`, `instance-traffic`. */
  action: string;
  summary: string;
  result: 'succeeded' | 'failed';
  releaseId?: string;
  createdAt: string;
}

/** What a K2 capability records; the activity log adds the id and the time. */
export type K2NewActivity = Omit<K2Activity, 'id' | 'createdAt'>;

/** A page of a service's activity log, newest first. */
export interface K2ActivityList {
  items: K2Activity[];
  /** Pass as `before` for the next page; absent on the last one. */
  nextCursor?: string;
}
