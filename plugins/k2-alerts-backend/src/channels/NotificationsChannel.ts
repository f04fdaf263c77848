import { NotificationService } from '@backstage/plugin-notifications-node';
import { Channel, ChannelMessage } from './types';

/** In-app Backstage notifications to the message's recipients. */
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
        severity: message.severity === 'critical' ? 'critical' : 'high',
        topic: 'k2-alerts',
      },
    });
  }
}
