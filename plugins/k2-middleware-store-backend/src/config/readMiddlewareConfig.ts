import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError, K2EnvironmentModel } from '@internal/plugin-k2-common';

/** One environment's middleware policy. */
export interface MiddlewareEnvironmentPolicy {
  /** The default time to live of a new instance; absent: instances never expire. */
  ttlDays?: number;
  /** How far from now a creation or renewal may set the expiry (≥ ttlDays). */
  maxTtlDays?: number;
  /** Days before expiry the owners are reminded (< ttlDays). */
  reminderDays?: number;
  /** Days a deleted or expired instance stays restorable. */
  retentionDays: number;
}

/** `k2.middleware`, validated. */
export interface MiddlewareConfig {
  /** How often the lifecycle task runs. */
  lifecycleFrequencyMs: number;
  /** Every environment of the model has a policy (defaults where not configured). */
  environments: Map<string, MiddlewareEnvironmentPolicy>;
}

const KEY = 'k2.middleware';
const DEFAULT_RETENTION_DAYS = 7;
const DEFAULT_REMINDER_DAYS = 1;
const MAX_DAYS = 3650;

function days(config: Config, key: string, at: string): number | undefined {
  if (!config.has(key)) return undefined;
  let value: number;
  try {
    value = config.getNumber(key);
  } catch (error) {
    throw new K2ConfigError(`${at}.${key}`, (error as Error).message);
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_DAYS) {
    throw new K2ConfigError(
      `${at}.${key}`,
      `must be a whole number of days from 1 to ${MAX_DAYS}, not ${value}`,
    );
  }
  return value;
}

/**
 * Reads `k2.middleware` once at start: `lifecycle.frequency` (default 30 seconds) and,
 * per environment of the model, `ttlDays` (absent: instances never expire),
 * `maxTtlDays` (default ttlDays; at least ttlDays), `reminderDays` (default 1 where
 * instances expire for longer; less than ttlDays) and `retentionDays` (default 7). An environment
 * not configured gets the defaults: no expiry, 7 days of retention.
 *
 * @throws K2ConfigError naming the key that is wrong
 */
export function readMiddlewareConfig(
  root: Config,
  model: K2EnvironmentModel,
): MiddlewareConfig {
  const config = root.getOptionalConfig(KEY);
  let lifecycleFrequencyMs = 30_000;
  const frequencyKey = 'lifecycle.frequency';
  if (config?.has(frequencyKey)) {
    try {
      lifecycleFrequencyMs = durationToMilliseconds(
        readDurationFromConfig(config, { key: frequencyKey }),
      );
    } catch (error) {
      throw new K2ConfigError(
        `${KEY}.${frequencyKey}`,
        (error as Error).message,
      );
    }
    if (lifecycleFrequencyMs < 1000) {
      throw new K2ConfigError(
        `${KEY}.${frequencyKey}`,
        'must be at least one second',
      );
    }
  }

  const configured = config?.getOptionalConfig('environments');
  for (const name of configured?.keys() ?? []) {
    if (!model.environments.some(e => e.name === name)) {
      throw new K2ConfigError(
        `${KEY}.environments.${name}`,
        `'${name}' is not an environment of k2.environments`,
      );
    }
  }

  const environments = new Map<string, MiddlewareEnvironmentPolicy>();
  for (const { name } of model.environments) {
    const at = `${KEY}.environments.${name}`;
    const env = configured?.getOptionalConfig(name);
    const ttlDays = env ? days(env, 'ttlDays', at) : undefined;
    const maxTtlDays = env ? days(env, 'maxTtlDays', at) : undefined;
    const reminderDays = env ? days(env, 'reminderDays', at) : undefined;
    const retentionDays =
      (env ? days(env, 'retentionDays', at) : undefined) ??
      DEFAULT_RETENTION_DAYS;
    if (ttlDays === undefined) {
      for (const [key, value] of [
        ['maxTtlDays', maxTtlDays],
        ['reminderDays', reminderDays],
      ] as const) {
        if (value !== undefined) {
          throw new K2ConfigError(
            `${at}.${key}`,
            'needs ttlDays: without it instances here never expire',
          );
        }
      }
      environments.set(name, { retentionDays });
      continue;
    }
    if (maxTtlDays !== undefined && maxTtlDays < ttlDays) {
      throw new K2ConfigError(
        `${at}.maxTtlDays`,
        `${maxTtlDays} is less than ttlDays ${ttlDays}`,
      );
    }
    if (reminderDays !== undefined && reminderDays >= ttlDays) {
      throw new K2ConfigError(
        `${at}.reminderDays`,
        `${reminderDays} must be less than ttlDays ${ttlDays}, or the reminder would come at creation`,
      );
    }
    environments.set(name, {
      ttlDays,
      maxTtlDays: maxTtlDays ?? ttlDays,
      // A one-day time to live has no default reminder: it would come at creation.
      ...(reminderDays !== undefined || ttlDays > DEFAULT_REMINDER_DAYS
        ? { reminderDays: reminderDays ?? DEFAULT_REMINDER_DAYS }
        : {}),
      retentionDays,
    });
  }
  return { lifecycleFrequencyMs, environments };
}
