import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** How the cluster checks run. */
export interface ClusterChecksConfig {
  /** A pod pending this long counts as a finding. */
  pendingAfterMs: number;
  /** How often the watch caches (and the nodes' kubelet summaries) are checked. */
  intervalMs: number;
  /** A node filesystem at or above this share in use (percent) is almost full. */
  diskFullPercent: number;
}

export const DEFAULT_CLUSTER_CHECKS: ClusterChecksConfig = {
  pendingAfterMs: 10 * 60_000,
  intervalMs: 30_000,
  diskFullPercent: 85,
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

function percent(config: Config, key: string, fallback: number): number {
  const full = `k2.alerts.clusterChecks.${key}`;
  const value = config.getOptionalNumber(full) ?? fallback;
  if (!(value > 0 && value <= 100)) {
    throw new K2ConfigError(full, 'must be a percentage above 0, at most 100');
  }
  return value;
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
    diskFullPercent: percent(
      config,
      'diskFullPercent',
      DEFAULT_CLUSTER_CHECKS.diskFullPercent,
    ),
  };
}
