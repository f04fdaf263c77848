import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** `k2.config.retention`, validated: which versions' objects may be collected. */
export interface ConfigRetention {
  /** The newest versions of each file whose objects are always kept. */
  keepVersions: number;
  /** Versions younger than this keep their objects. */
  minAgeMs: number;
  /** How often retention runs. */
  frequencyMs: number;
}

const KEY = 'k2.config.retention';

function duration(config: Config, key: string, fallbackMs: number): number {
  if (!config.has(key)) return fallbackMs;
  try {
    return durationToMilliseconds(readDurationFromConfig(config, { key }));
  } catch (error) {
    throw new K2ConfigError(key, (error as Error).message);
  }
}

/**
 * Reads `k2.config.retention` once at start: `keepVersions` (default 20, at least 1),
 * `minAge` (default 30 days) and `frequency` (default 1 hour).
 *
 * @throws K2ConfigError naming the key that is wrong
 */
export function readConfigRetention(config: Config): ConfigRetention {
  const keepKey = `${KEY}.keepVersions`;
  let keepVersions = 20;
  if (config.has(keepKey)) {
    let value: number;
    try {
      value = config.getNumber(keepKey);
    } catch (error) {
      throw new K2ConfigError(keepKey, (error as Error).message);
    }
    if (!Number.isInteger(value) || value < 1) {
      throw new K2ConfigError(
        keepKey,
        `must be a whole number from 1, not ${value}`,
      );
    }
    keepVersions = value;
  }
  return {
    keepVersions,
    minAgeMs: duration(config, `${KEY}.minAge`, 30 * 24 * 3600_000),
    frequencyMs: duration(config, `${KEY}.frequency`, 3600_000),
  };
}
