import { NotificationService } from '@backstage/plugin-notifications-node';
import { Channel, ChannelMessage } from './types';

/** A resolution is news, not an alarm. */
function severityOf(message: ChannelMessage) {
  if (message.fields.event === 'resolved') return 'normal';
  return message.severity === 'critical' ? 'critical' : 'high';
}

/**
 * In-app Backstage notifications to the message's recipients: critical incidents
 * `critical`, others `high`, resolutions `normal`.
 */
export class NotificationsChannel implements Channel {
  readonly #notifications: NotificationService;

  constructor(notifications: NotificationService) {
    this.#notifications = notifications;
  }

  async send(message: ChannelMessage): Promise<void> {
    if (message.recipients.length === 0) return;
    await this.#notifications.send({
      recipients: { type: 'entity', entityRef: message.recipients },
      payload: {
        title: message.title,
        description: message.text,
        link: message.link,
        severity: severityOf(message),
        topic: 'k2-alerts',
      },
    });
  }
}
