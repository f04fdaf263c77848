import { InputError } from '@backstage/errors';

/** The most alerts one webhook call may carry (a storm of 10,000 fits in one). */
export const MAX_WEBHOOK_ALERTS = 10_000;
/** The largest webhook body read; a larger one is refused with 413 before parsing. */
export const MAX_WEBHOOK_BODY = '16mb';

/** One alert of an Alertmanager webhook call (payload version 4). */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  fingerprint: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new InputError(`${where} must be an object`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new InputError(`${where}.${key} must be a string`);
    }
  }
  return value as Record<string, string>;
}

const TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** Alertmanager's zero time: an alert that has not ended. */
const ZERO_TIME = /^0001-01-01T00:00:00/;

/**
 * The alerts of an Alertmanager webhook body, checked whole before anything is
 * written: version "4", a status, and alerts each with a status, labels, annotations,
 * an RFC 3339 `startsAt` (and `endsAt` when set) and a fingerprint. Messages name the
 * offending field, never its value.
 *
 * @throws InputError for a body that is not such a payload, or carries more than
 * {@link MAX_WEBHOOK_ALERTS} alerts
 */
export function parseWebhookPayload(body: unknown): AlertmanagerAlert[] {
  if (!isObject(body))
    throw new InputError('The payload must be a JSON object');
  if (body.version !== '4') {
    throw new InputError(
      'Only Alertmanager webhook payloads of version "4" are accepted',
    );
  }
  if (body.status !== 'firing' && body.status !== 'resolved') {
    throw new InputError('status must be "firing" or "resolved"');
  }
  if (!Array.isArray(body.alerts))
    throw new InputError('alerts must be an array');
  if (body.alerts.length > MAX_WEBHOOK_ALERTS) {
    throw new InputError(
      `A payload carries at most ${MAX_WEBHOOK_ALERTS} alerts; set max_alerts in Alertmanager's webhook_config`,
    );
  }
  return body.alerts.map((alert: unknown, i: number) => {
    const where = `alerts[${i}]`;
    if (!isObject(alert)) throw new InputError(`${where} must be an object`);
    if (alert.status !== 'firing' && alert.status !== 'resolved') {
      throw new InputError(`${where}.status must be "firing" or "resolved"`);
    }
    if (
      typeof alert.fingerprint !== 'string' ||
      !/^[0-9a-zA-Z_-]{1,64}$/.test(alert.fingerprint)
    ) {
      throw new InputError(
        `${where}.fingerprint must be an id of up to 64 characters`,
      );
    }
    if (typeof alert.startsAt !== 'string' || !TIME.test(alert.startsAt)) {
      throw new InputError(`${where}.startsAt must be an RFC 3339 time`);
    }
    let endsAt: string | undefined;
    if (
      alert.endsAt !== undefined &&
      alert.endsAt !== null &&
      alert.endsAt !== ''
    ) {
      if (typeof alert.endsAt !== 'string' || !TIME.test(alert.endsAt)) {
        throw new InputError(`${where}.endsAt must be an RFC 3339 time`);
      }
      if (!ZERO_TIME.test(alert.endsAt)) endsAt = alert.endsAt;
    }
    return {
      status: alert.status,
      labels: stringMap(alert.labels, `${where}.labels`),
      annotations: stringMap(alert.annotations, `${where}.annotations`),
      startsAt: alert.startsAt,
      endsAt,
      fingerprint: alert.fingerprint,
    };
  });
}
