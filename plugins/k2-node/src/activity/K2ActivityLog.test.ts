import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { K2NewActivity } from '@internal/plugin-k2-common';
import {
  ACTIVITY_BATCH_MAX,
  HttpActivityLog,
  K2_CORE_PLUGIN_ID,
} from './K2ActivityLog';

const entry: K2NewActivity = {
  service: 'component:default/payment-gateway',
  environment: 'prod',
  actor: 'user:default/alice',
  action: 'scale',
  summary: 'Scaled to 3 replicas',
  result: 'succeeded',
};

interface Received {
  method?: string;
  url?: string;
  contentType?: string;
  authorization?: string;
  body: string;
}

/**
 * Stands in for the `k2` plugin: records every request and answers with the next
 * status of `statuses` (the last one repeats).
 */
async function startK2Plugin(statuses: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = statuses[Math.min(received.length, statuses.length) - 1];
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(
        status >= 400
          ? JSON.stringify({
              error: { name: 'Error', message: `status ${status}` },
            })
          : '',
      );
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    baseUrl: `http://127.0.0.1:${port}/api/k2`,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

function activityLog(baseUrl: string) {
  const discovery = mockServices.discovery.mock({
    getBaseUrl: jest.fn(async () => baseUrl),
  });
  const logger = mockServices.logger.mock();
  const log = new HttpActivityLog({
    discovery,
    auth: mockServices.auth({ pluginId: 'k2-deploy' }),
    logger,
    retryDelaysMs: [1, 1, 1],
  });
  return { log, discovery, logger };
}

describe('HttpActivityLog', () => {
  let plugin: Awaited<ReturnType<typeof startK2Plugin>> | undefined;

  afterEach(async () => {
    await plugin?.close();
    plugin = undefined;
  });

  it("posts the entry as JSON to the k2 plugin's /activity with a service token", async () => {
    plugin = await startK2Plugin([201]);
    const { log, discovery, logger } = activityLog(plugin.baseUrl);

    await log.record(entry);

    expect(discovery.getBaseUrl).toHaveBeenCalledWith(K2_CORE_PLUGIN_ID);
    expect(plugin.received).toHaveLength(1);
    const [request] = plugin.received;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/k2/activity');
    expect(request.contentType).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual(entry);

    // The k2 plugin accepts the token as the calling plugin's own credentials.
    expect(request.authorization).toMatch(/^Bearer \S+$/);
    const credentials = await mockServices
      .auth({ pluginId: K2_CORE_PLUGIN_ID })
      .authenticate(request.authorization!.slice('Bearer '.length));
    expect(credentials.principal).toEqual({
      type: 'service',
      subject: 'plugin:k2-deploy',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('retries a 5xx and succeeds when the plugin recovers', async () => {
    plugin = await startK2Plugin([503, 500, 201]);
    const { log, logger } = activityLog(plugin.baseUrl);

    await log.record(entry);

    expect(plugin.received).toHaveLength(3);
    expect(plugin.received.map(r => JSON.parse(r.body))).toEqual([
      entry,
      entry,
      entry,
    ]);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('does not retry a refused entry (4xx), and logs it as an error', async () => {
    plugin = await startK2Plugin([400, 201]);
    const { log, logger } = activityLog(plugin.baseUrl);

    await expect(log.record(entry)).resolves.toBeUndefined();

    expect(plugin.received).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(`scale on ${entry.service}`),
    );
  });

  it('never throws: after the last attempt it logs an error naming the action and service', async () => {
    plugin = await startK2Plugin([503]);
    const { log, logger } = activityLog(plugin.baseUrl);

    await expect(log.record(entry)).resolves.toBeUndefined();

    // The first attempt and one per retry delay.
    expect(plugin.received).toHaveLength(4);
    expect(logger.error).toHaveBeenCalledTimes(1);
    const [message] = (logger.error as jest.Mock).mock.calls[0];
    expect(message).toContain('scale');
    expect(message).toContain(entry.service);
  });

  it('never throws when the plugin cannot be reached at all', async () => {
    const gone = await startK2Plugin([201]);
    await gone.close();
    const { log, logger } = activityLog(gone.baseUrl);

    await expect(log.record(entry)).resolves.toBeUndefined();

    expect(gone.received).toHaveLength(0);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(`scale on ${entry.service}`),
    );
  });

  it('recordAll: one call to /activity/batch per 500 entries, in order, retrying a 5xx', async () => {
    plugin = await startK2Plugin([201, 503, 201]);
    const { log, logger } = activityLog(plugin.baseUrl);
    const entries = Array.from({ length: ACTIVITY_BATCH_MAX + 2 }, (_, i) => ({
      ...entry,
      summary: `Scaled to ${i}`,
    }));

    await log.recordAll(entries);

    expect(plugin.received.map(r => [r.method, r.url])).toEqual([
      ['POST', '/api/k2/activity/batch'],
      ['POST', '/api/k2/activity/batch'],
      ['POST', '/api/k2/activity/batch'],
    ]);
    const bodies = plugin.received.map(r => JSON.parse(r.body).entries);
    expect(bodies[0]).toEqual(entries.slice(0, ACTIVITY_BATCH_MAX));
    // The second batch was answered 503 and sent again.
    expect(bodies[1]).toEqual(entries.slice(ACTIVITY_BATCH_MAX));
    expect(bodies[2]).toEqual(entries.slice(ACTIVITY_BATCH_MAX));
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('recordAll never throws: a refused batch is logged once with its size', async () => {
    plugin = await startK2Plugin([413]);
    const { log, logger } = activityLog(plugin.baseUrl);

    await expect(log.recordAll([entry, entry])).resolves.toBeUndefined();

    expect(plugin.received).toHaveLength(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(
        `2 entries (the first scale on ${entry.service})`,
      ),
    );
  });

  it('write: one attempt that throws when the log does not take the entry', async () => {
    plugin = await startK2Plugin([503, 201]);
    const { log, logger } = activityLog(plugin.baseUrl);

    await expect(log.write(entry)).rejects.toThrow(/503/);
    expect(plugin.received).toHaveLength(1);
    // The caller keeps the entry and tries again; the second attempt is taken.
    await expect(log.write(entry)).resolves.toBeUndefined();
    expect(plugin.received.map(r => JSON.parse(r.body))).toEqual([
      entry,
      entry,
    ]);
    expect(logger.error).not.toHaveBeenCalled();
  });
});
