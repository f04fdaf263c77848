import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** How incidents are routed and escalated. */
export interface RoutingConfig {
  /** An incident group is notified at most once per this interval. */
  repeatIntervalMs: number;
  /** How often due escalations and repeats are looked for. */
  tickMs: number;
  /** How long after opening an incident routing never reached is routed by the tick. */
  unroutedAfterMs: number;
}

export const DEFAULT_ROUTING: RoutingConfig = {
  repeatIntervalMs: 4 * 3_600_000,
  tickMs: 30_000,
  unroutedAfterMs: 60_000,
};

function duration(config: Config, key: string, fallback: number): number {
  if (!config.has(key)) return fallback;
  const ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  if (!(ms > 0)) throw new K2ConfigError(key, 'must be positive');
  return ms;
}

/**
 * `k2.alerts.notifications.repeatInterval`, `k2.alerts.escalation.tick` and
 * `k2.alerts.routing.unroutedAfter`.
 */
export function readRoutingConfig(config: Config): RoutingConfig {
  return {
    repeatIntervalMs: duration(
      config,
      'k2.alerts.notifications.repeatInterval',
      DEFAULT_ROUTING.repeatIntervalMs,
    ),
    tickMs: duration(
      config,
      'k2.alerts.escalation.tick',
      DEFAULT_ROUTING.tickMs,
    ),
    unroutedAfterMs: duration(
      config,
      'k2.alerts.routing.unroutedAfter',
      DEFAULT_ROUTING.unroutedAfterMs,
    ),
  };
}
