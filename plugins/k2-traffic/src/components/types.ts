import {
  K2TrafficClusterList,
  K2TrafficService,
} from '@internal/plugin-k2-traffic-common';

/** An environment the service runs in, as the Traffic tab needs it. */
export interface TrafficEnvironment {
  name: string;
  title: string;
  /**
   * Changes here need approval: a publish or rollback waits as a site change until an
   * approver approves it (docs/traffic.md).
   */
  approvalRequired: boolean;
}

/** Whether the user may publish in an environment; `refusal` says why not. */
export interface PublishRights {
  refusal?: string;
}

/** The Nginx clusters as loaded (kept on screen while a refresh fails). */
export interface ClustersState {
  value?: K2TrafficClusterList;
  error?: Error;
  refresh(): void;
}

export type { K2TrafficService };

/** The Nginx cluster that serves an environment, if any (`k2.traffic.clusters`). */
export function clusterOf(
  clusters: K2TrafficClusterList | undefined,
  environment: string,
) {
  return clusters?.items.find(c => c.environments.includes(environment));
}
