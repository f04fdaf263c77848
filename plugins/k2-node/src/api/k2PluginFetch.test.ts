import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import express from 'express';
import { AddressInfo } from 'net';
import { k2PluginFetch } from './k2PluginFetch';

describe('k2PluginFetch', () => {
  it('calls another plugin as this plugin, keeping the request’s own headers and body', async () => {
    const seen: Array<{
      authorization?: string;
      type?: string;
      body: unknown;
    }> = [];
    const app = express().use(express.json());
    app.post('/echo', (req, res) => {
      seen.push({
        authorization: req.headers.authorization,
        type: req.headers['content-type'],
        body: req.body,
      });
      res.json({ ok: true });
    });
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const { fetch } = k2PluginFetch(
        mockServices.auth({ pluginId: 'k2-storage' }),
        'k2-deploy',
      );
      const res = await fetch(
        new Request(`http://127.0.0.1:${port}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ volume: 'data' }),
        }),
      );
      expect(res.status).toBe(200);
      expect(seen).toEqual([
        {
          authorization: mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('plugin:k2-storage'),
            targetPluginId: 'k2-deploy',
          }),
          type: 'application/json',
          body: { volume: 'data' },
        },
      ]);
    } finally {
      server.close();
    }
  });
});
