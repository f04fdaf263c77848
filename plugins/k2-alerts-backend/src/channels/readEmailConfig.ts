import { Config } from '@backstage/config';
import { K2ConfigError } from '@internal/plugin-k2-common';

/** The SMTP server email channels send through (`k2.alerts.email`). */
export interface EmailConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  /** The sender address of every message. */
  from: string;
  /** The SMTP login; the password is a secret, never logged or answered. */
  auth?: { user: string; pass: string };
}

/** Why email channels do not deliver on a K2 without `k2.alerts.email`. */
export const EMAIL_NOT_CONFIGURED =
  'email is not configured on this K2 (k2.alerts.email), so an email channel cannot deliver; ask a platform admin, or use another channel type';

/**
 * `k2.alerts.email`, or undefined when it is absent (email channels then cannot be
 * saved, and stored ones report that they do not deliver).
 *
 * @throws K2ConfigError naming a key that is wrong
 */
export function readEmailConfig(config: Config): EmailConfig | undefined {
  const email = config.getOptionalConfig('k2.alerts.email');
  if (!email) return undefined;
  const port = email.getOptionalNumber('port') ?? 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new K2ConfigError('k2.alerts.email.port', 'must be a TCP port');
  }
  const from = email.getString('from');
  if (!from.includes('@')) {
    throw new K2ConfigError('k2.alerts.email.from', 'must be an email address');
  }
  const auth = email.getOptionalConfig('auth');
  return {
    host: email.getString('host'),
    port,
    secure: email.getOptionalBoolean('secure') ?? port === 465,
    from,
    auth: auth
      ? { user: auth.getString('user'), pass: auth.getString('password') }
      : undefined,
  };
}
