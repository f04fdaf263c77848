import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import http from 'node:http';
import net from 'node:net';

/**
 * The notifications service replaced by one that records what the Alerts backend
 * sends, for tests and benchmarks that count deliveries.
 */
export function recordingNotifications() {
  const sent: NotificationSendOptions[] = [];
  const factory = createServiceFactory({
    service: notificationService,
    deps: {},
    factory: () => ({
      async send(options: NotificationSendOptions) {
        sent.push(options);
      },
    }),
  });
  return { sent, factory };
}

/** A local HTTP receiver of webhook calls: each call's path and JSON body. */
export async function startWebhookReceiver() {
  const calls: Array<{ path: string; body: unknown }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"errcode":0}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    calls,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise(resolve => server.close(resolve)),
  };
}
