import { Config, readDurationFromConfig } from '@backstage/config';
import { CustomErrorBase } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';

/**
 * Too many requests of a kind at once. `@backstage/errors` has no such class; the
 * backend's error middleware answers with the `statusCode` an error carries, so this
 * is a 429 with the usual error body.
 */
export class TooManyRequestsError extends CustomErrorBase {
  name = 'TooManyRequestsError' as const;
  readonly statusCode = 429;
}

/** A cluster did not answer in time: 504 with the usual error body. */
export class GatewayTimeoutError extends CustomErrorBase {
  name = 'GatewayTimeoutError' as const;
  readonly statusCode = 504;
}

/** Bounds of followed log streams (`k2.instances.logs`). */
export interface LogLimits {
  /** Followed streams one user may have open at once. */
  maxFollowsPerUser: number;
  /** Followed streams open at once, over all users. */
  maxFollows: number;
  /** A followed stream ends after this long, with a last line saying so. */
  maxFollowDurationMs: number;
  /** How long to wait for the cluster to start a log stream. */
  connectTimeoutMs: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = {
  maxFollowsPerUser: 5,
  maxFollows: 200,
  maxFollowDurationMs: 60 * 60_000,
  connectTimeoutMs: 15_000,
};

/**
 * Reads `k2.instances.logs`, falling back to {@link DEFAULT_LOG_LIMITS}.
 *
 * @throws Error naming the key when a value is not a positive number or a duration
 */
export function readLogLimits(config?: Config): LogLimits {
  const at = 'k2.instances.logs';
  const logs = config?.getOptionalConfig(at);
  if (!logs) return { ...DEFAULT_LOG_LIMITS };
  const count = (key: 'maxFollowsPerUser' | 'maxFollows') => {
    const value = logs.getOptionalNumber(key) ?? DEFAULT_LOG_LIMITS[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `Invalid config at '${at}.${key}': must be a positive integer, got ${value}`,
      );
    }
    return value;
  };
  const duration = (key: string, fallback: number) => {
    if (!logs.has(key)) return fallback;
    const ms = durationToMilliseconds(readDurationFromConfig(logs, { key }));
    if (!(ms > 0)) {
      throw new Error(`Invalid config at '${at}.${key}': must be positive`);
    }
    return ms;
  };
  return {
    maxFollowsPerUser: count('maxFollowsPerUser'),
    maxFollows: count('maxFollows'),
    maxFollowDurationMs: duration(
      'maxFollowDuration',
      DEFAULT_LOG_LIMITS.maxFollowDurationMs,
    ),
    connectTimeoutMs: duration(
      'connectTimeout',
      DEFAULT_LOG_LIMITS.connectTimeoutMs,
    ),
  };
}

/**
 * Counts followed streams per user and in total. `acquire` takes a slot or refuses
 * with 429; the returned function gives it back (once, however often it is called).
 */
export class FollowSlots {
  readonly #limits: LogLimits;
  readonly #perUser = new Map<string, number>();
  #total = 0;

  constructor(limits: LogLimits) {
    this.#limits = limits;
  }

  acquire(user: string): () => void {
    const mine = this.#perUser.get(user) ?? 0;
    if (mine >= this.#limits.maxFollowsPerUser) {
      throw new TooManyRequestsError(
        `You are following ${mine} logs already, the most one user may follow at once; close one to follow another`,
      );
    }
    if (this.#total >= this.#limits.maxFollows) {
      throw new TooManyRequestsError(
        `K2 is following ${
          this.#total
        } logs already, the most it follows at once; try again later`,
      );
    }
    this.#perUser.set(user, mine + 1);
    this.#total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#perUser.get(user) ?? 1) - 1;
      if (left > 0) this.#perUser.set(user, left);
      else this.#perUser.delete(user);
    };
  }
}

/** `1h`, `90s`, `2m 30s`: a duration for people. */
export function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const parts: string[] = [];
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}
