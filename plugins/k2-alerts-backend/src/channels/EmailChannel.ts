import { LoggerService } from '@backstage/backend-plugin-api';
import nodemailer, { Transporter } from 'nodemailer';
import { DEFAULT_SUBJECT } from '../teams/TeamSettings';
import { renderSubject } from './render';
import { EmailConfig } from './readEmailConfig';
import { Channel, ChannelMessage } from './types';

/** How long connecting to, greeting and each exchange with the SMTP server may take. */
const TIMEOUT_MS = 10_000;

/** Users' email addresses, as the catalog has them. */
export interface EmailDirectory {
  /** The user's address (`spec.profile.email`), if the user has one. */
  email(userRef: string): Promise<string | undefined>;
}

/**
 * Emails the message to the recipients through the SMTP server of `k2.alerts.email`:
 * one message with every recipient who has an address in the catalog, the subject the
 * channel's subject template (or {@link DEFAULT_SUBJECT}), the text the channel's
 * template followed by the incident's acknowledge link and its link (a resolved
 * message: its link only).
 * Plain text only, so no value needs HTML escaping.
 *
 * Invariants: recipients without an address are skipped and logged by user ref (no
 * address is logged); a message nobody can receive, or that the server refuses,
 * throws, so the notifier logs the channel as failed; the SMTP password is only in
 * the transport, never in a message, log line or error this throws.
 */
export class EmailChannel implements Channel {
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #server: string;
  readonly #directory: EmailDirectory;
  readonly #logger: LoggerService;

  constructor(options: {
    config: EmailConfig;
    directory: EmailDirectory;
    logger: LoggerService;
  }) {
    const { config } = options;
    this.#transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      auth: config.auth,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
    this.#from = config.from;
    this.#server = `${config.host}:${config.port}`;
    this.#directory = options.directory;
    this.#logger = options.logger;
  }

  async send(message: ChannelMessage): Promise<void> {
    const { channel } = message;
    const to: string[] = [];
    const without: string[] = [];
    for (const user of message.recipients) {
      const address = await this.#directory.email(user);
      if (address) to.push(address);
      else without.push(user);
    }
    if (without.length) {
      this.#logger.warn(
        `Email channel ${channel.id}: ${without.length} of ${
          message.recipients.length
        } recipients have no email in the catalog (spec.profile.email) and are skipped: ${without.join(
          ', ',
        )}`,
      );
    }
    if (!to.length) {
      throw new Error(
        `Email channel ${channel.id}: none of the ${message.recipients.length} recipients has an email address`,
      );
    }
    try {
      await this.#transport.sendMail({
        from: this.#from,
        to,
        subject: renderSubject(
          channel.subject ?? DEFAULT_SUBJECT,
          message.fields,
        ),
        text:
          message.fields.event === 'resolved'
            ? `${message.text}\n\nOpen the incident: ${message.link}\n`
            : `${message.text}\n\nAcknowledge: ${message.fields.acknowledgeLink}\nOpen the incident to resolve or silence it: ${message.link}\n`,
      });
    } catch (error) {
      throw new Error(
        `Email channel ${channel.id}: the SMTP server ${
          this.#server
        } did not take the message: ${(error as Error).message}`,
      );
    }
  }
}
