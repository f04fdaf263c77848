import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** How the cluster checks run. */
export interface ClusterChecksConfig {
  /** A pod pending this long counts as a finding. */
  pendingAfterMs: number;
  /** How often the watch caches are checked. */
  intervalMs: number;
}

export const DEFAULT_CLUSTER_CHECKS: ClusterChecksConfig = {
  pendingAfterMs: 10 * 60_000,
  intervalMs: 30_000,
};

function duration(config: Config, key: string, fallback: number): number {
  const full = `k2.alerts.clusterChecks.${key}`;
  if (!config.has(full)) return fallback;
  const ms = durationToMilliseconds(
    readDurationFromConfig(config, { key: full }),
  );
  if (!(ms > 0)) throw new K2ConfigError(full, 'must be positive');
  return ms;
}

/** `k2.alerts.clusterChecks`, read once at start. */
export function readClusterChecksConfig(config: Config): ClusterChecksConfig {
  return {
    pendingAfterMs: duration(
      config,
      'pendingAfter',
      DEFAULT_CLUSTER_CHECKS.pendingAfterMs,
    ),
    intervalMs: duration(config, 'interval', DEFAULT_CLUSTER_CHECKS.intervalMs),
  };
}
