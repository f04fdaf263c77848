/**
 * Live updates of the Deploy tab through Backstage Signals: the backend announces that
 * something about a service changed, and the tab refetches it through the API.
 */

/**
 * The announcement. It carries no data about the service: whoever receives it refetches
 * through the permission-checked API, so a reader learns nothing the API would not
 * tell them.
 *
 * `kind` is `release` when a release of the service was created or changed state (its
 * runtime may have changed as well), `runtime` when only what runs changed (pods,
 * workloads, ReplicaSets, autoscalers, their events). Several changes within a short
 * window make one announcement: `environment` is set when every change was in that one
 * environment, `releaseId` when exactly one release changed.
 */
export type K2DeploySignal = {
  kind: 'runtime' | 'release';
  environment?: string;
  releaseId?: string;
};

/** The Signals channel of one service: `k2-deploy:<entity ref>`. */
export function k2DeploySignalChannel(entityRef: string): string {
  return `k2-deploy:${entityRef}`;
}
