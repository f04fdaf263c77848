import {
  AuthenticationError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { createHash, timingSafeEqual } from 'crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The secret an `Authorization` header carries: a bearer token or a Basic password. */
function presented(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * Checks that a webhook call carries `k2.alerts.webhook.token`, as Alertmanager's
 * `authorization` (bearer) or `basic_auth` (the password) sends it. The comparison
 * takes the same time whatever the value (digests of equal length, compared in
 * constant time).
 *
 * @throws ServiceUnavailableError when no token is configured: the webhook is off
 * @throws AuthenticationError when the call does not carry the token
 */
export function checkWebhookToken(
  token: string | undefined,
  authorization: string | undefined,
): void {
  if (!token) {
    throw new ServiceUnavailableError(
      'The Alertmanager webhook is not configured: set k2.alerts.webhook.token',
    );
  }
  const secret = presented(authorization);
  if (secret === undefined || !timingSafeEqual(digest(secret), digest(token))) {
    throw new AuthenticationError(
      'The webhook needs the configured token as a bearer token or Basic-auth password',
    );
  }
}
