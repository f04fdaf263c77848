/**
 * Live updates of the Config tab through Backstage Signals: the backend announces that
 * a service's config files changed, and the tab refetches them through the API.
 */

/**
 * The announcement: which file of which environment changed, and how. It carries no
 * content, so a reader learns nothing the permission-checked API would not tell them.
 * `version` is the version a create, save or restore made.
 */
export type K2ConfigSignal = {
  environment: string;
  file: string;
  change: 'created' | 'saved' | 'restored' | 'deleted';
  version?: number;
};

/** The Signals channel of one service: `k2-config:<entity ref>`. */
export function k2ConfigSignalChannel(entityRef: string): string {
  return `k2-config:${entityRef}`;
}
