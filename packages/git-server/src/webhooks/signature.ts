import { createHash, createHmac, timingSafeEqual } from 'crypto';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * The `X-Hub-Signature-256` value GitHub sends with a webhook: `sha256=` and the hex
 * HMAC-SHA256 of the exact body bytes with the shared secret.
 *
 * @public
 */
export function signPushPayload(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` (the `X-Hub-Signature-256` value) is the signature of `body` with
 * `secret`. Compares in constant time; a missing, malformed or empty-secret header is
 * never valid. Pass the body exactly as received (before any JSON parsing).
 *
 * @public
 */
export function verifyPushSignature(
  body: string | Buffer,
  header: string | undefined | null,
  secret: string,
): boolean {
  if (!secret || typeof header !== 'string') return false;
  const match = SIGNATURE.exec(header.trim().toLowerCase());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

/**
 * Whether `header` (GitLab's `X-Gitlab-Token`, the secret itself) equals `secret`,
 * compared in constant time whatever the lengths.
 *
 * @public
 */
export function verifyGitLabToken(
  header: string | undefined | null,
  secret: string,
): boolean {
  if (!secret || typeof header !== 'string') return false;
  return timingSafeEqual(sha256(header), sha256(secret));
}

/** Constant-time equality of two strings of any length (compares their digests). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
