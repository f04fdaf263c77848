import { ChannelMessage, Channel } from './types';
import { renderJson } from './render';

/** A webhook call's time limit. */
const TIMEOUT_MS = 10_000;

/**
 * Posts the message to a chat tool's webhook: the channel's payload template rendered
 * with the message's fields (and `message`, the rendered text), or `{"text": ...}`.
 */
export class WebhookChannel implements Channel {
  async send(message: ChannelMessage): Promise<void> {
    const { channel } = message;
    if (!channel.url) throw new Error(`Channel ${channel.id} has no URL`);
    const body = channel.payload
      ? renderJson(channel.payload, {
          ...message.fields,
          message: message.text,
        })
      : JSON.stringify({ text: message.text });
    const response = await fetch(channel.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      // The status only: the URL may carry a token.
      throw new Error(
        `Webhook of channel ${channel.id} answered ${response.status}`,
      );
    }
  }
}
