/**
 * Live updates of the Storage tab through Backstage Signals: the backend announces that
 * a service's volumes changed, and the tab refetches them through the API.
 */

/**
 * The announcement. It carries no data about the volumes: whoever receives it refetches
 * through the permission-checked API. `environment` is set when every change in the
 * window was in that one environment.
 */
export type K2StorageSignal = { environment?: string };

/** The Signals channel of one service: `k2-storage:<entity ref>`. */
export function k2StorageSignalChannel(entityRef: string): string {
  return `k2-storage:${entityRef}`;
}
