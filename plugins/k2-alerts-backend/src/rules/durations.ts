import { InputError } from '@backstage/errors';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** The longest `for` and the longest window a rule may have: 24 hours. */
export const MAX_DURATION_SECONDS = 86400;

/**
 * The seconds of a Prometheus duration written with `s`, `m`, `h` and `d` units
 * (`90s`, `1h30m`), or undefined when it is not one.
 */
export function durationSeconds(text: string): number | undefined {
  if (!/^([0-9]{1,6}[smhd])+$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)([smhd])/g)) {
    seconds += Number(amount) * UNIT_SECONDS[unit];
  }
  return seconds;
}

/**
 * A duration within bounds, as given.
 *
 * @throws InputError naming `what` when it is not a duration or out of bounds
 */
export function checkDuration(
  what: string,
  text: string,
  bounds: { min?: number; max?: number } = {},
): string {
  const seconds = durationSeconds(text);
  if (seconds === undefined) {
    throw new InputError(
      `${what} must be a duration such as 30s, 5m or 1h30m, not '${text}'`,
    );
  }
  const min = bounds.min ?? 0;
  const max = Math.min(
    bounds.max ?? MAX_DURATION_SECONDS,
    MAX_DURATION_SECONDS,
  );
  if (seconds < min || seconds > max) {
    throw new InputError(
      `${what} must be between ${min}s and ${max}s, not ${text}`,
    );
  }
  return text;
}
