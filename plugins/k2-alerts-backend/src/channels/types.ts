import { AlertChannel } from '../teams/TeamSettings';

/** One message to one channel of a team. */
export interface ChannelMessage {
  channel: AlertChannel;
  /** User refs to reach (in-app notifications); a webhook reaches its chat instead. */
  recipients: string[];
  title: string;
  /** The channel's template rendered. */
  text: string;
  /** Where the incident opens in the Alerts tab (with its Acknowledge button). */
  link: string;
  severity: 'critical' | 'warning' | 'info';
  /** The fields the templates were rendered with (a webhook renders its payload). */
  fields: Record<string, string>;
}

/**
 * Delivers messages of one channel type. Implementations never log a channel's URL
 * (it may carry a token).
 */
export interface Channel {
  send(message: ChannelMessage): Promise<void>;
}
