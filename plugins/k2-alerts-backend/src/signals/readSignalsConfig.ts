import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** How Kubernetes signals converge. */
export interface SignalsConfig {
  /** A signal's alert resolves once the condition has not been seen for this long. */
  windowMs: number;
  /** A running pod may be not ready this long before readiness counts as failing. */
  readinessGraceMs: number;
  /** How often the watch caches' pods are folded into signals and changes written. */
  intervalMs: number;
}

export const DEFAULT_SIGNALS: SignalsConfig = {
  windowMs: 5 * 60_000,
  readinessGraceMs: 2 * 60_000,
  intervalMs: 5_000,
};

function duration(config: Config, key: string, fallback: number): number {
  const full = `k2.alerts.signals.${key}`;
  if (!config.has(full)) return fallback;
  const ms = durationToMilliseconds(
    readDurationFromConfig(config, { key: full }),
  );
  if (!(ms > 0)) throw new K2ConfigError(full, 'must be positive');
  return ms;
}

/** `k2.alerts.signals`, read once at start. */
export function readSignalsConfig(config: Config): SignalsConfig {
  const signals = {
    windowMs: duration(config, 'window', DEFAULT_SIGNALS.windowMs),
    readinessGraceMs: duration(
      config,
      'readinessGrace',
      DEFAULT_SIGNALS.readinessGraceMs,
    ),
    intervalMs: duration(config, 'interval', DEFAULT_SIGNALS.intervalMs),
  };
  if (signals.intervalMs > signals.windowMs) {
    throw new K2ConfigError(
      'k2.alerts.signals.interval',
      'must not be longer than k2.alerts.signals.window',
    );
  }
  return signals;
}
