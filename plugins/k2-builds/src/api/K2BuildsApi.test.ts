import { K2ApiError } from '@internal/plugin-k2-common';
import { K2BuildsFrontendClient } from './K2BuildsApi';

const service = { namespace: 'default', name: 'payment-gateway' };
const discoveryApi = {
  getBaseUrl: async (pluginId: string) =>
    `http://localhost:7007/api/${pluginId}`,
};

/**
 * A response whose body arrives in `chunks` (bytes), as a followed log does: the part
 * of `Response` the client reads (jsdom has no streams).
 */
function streamed(chunks: Uint8Array[]): Response {
  const queue = [...chunks];
  return {
    ok: true,
    status: 200,
    body: {
      getReader: () => ({
        read: async () =>
          queue.length
            ? { value: queue.shift(), done: false }
            : { value: undefined, done: true },
      }),
    },
  } as unknown as Response;
}

/** A refusal as the backend answers it. */
function refused(status: number, name: string, message: string): Response {
  return {
    ok: false,
    status,
    statusText: 'Forbidden',
    text: async () => JSON.stringify({ error: { name, message } }),
  } as unknown as Response;
}

describe('K2BuildsFrontendClient.readLog', () => {
  it('asks for the log from an offset, following, and hands over the text as it arrives, a character split across chunks whole', async () => {
    const bytes = new TextEncoder().encode('STEP 1/2 — FROM node\nSTEP 2/2\n');
    // "—" is three bytes: the first chunk ends inside it.
    const cut = bytes.indexOf(0xe2) + 1;
    const calls: string[] = [];
    const client = new K2BuildsFrontendClient({
      discoveryApi,
      fetchApi: {
        fetch: (async (url: string) => {
          calls.push(url);
          return streamed([bytes.slice(0, cut), bytes.slice(cut)]);
        }) as typeof fetch,
      },
    });
    const pieces: string[] = [];
    await client.readLog(
      service,
      3,
      { follow: true, offset: 120 },
      text => pieces.push(text),
      new AbortController().signal,
    );
    expect(calls).toEqual([
      'http://localhost:7007/api/k2-builds/services/default/payment-gateway/builds/3/logs?follow=true&offset=120',
    ]);
    expect(pieces).toEqual(['STEP 1/2 ', '— FROM node\nSTEP 2/2\n']);
  });

  it('throws the backend’s refusal with its message', async () => {
    const client = new K2BuildsFrontendClient({
      discoveryApi,
      fetchApi: {
        fetch: (async () =>
          refused(
            403,
            'NotAllowedError',
            'You may not read the logs of component:default/payment-gateway',
          )) as typeof fetch,
      },
    });
    const read = client.readLog(
      service,
      3,
      {},
      () => {},
      new AbortController().signal,
    );
    await expect(read).rejects.toBeInstanceOf(K2ApiError);
    await expect(read).rejects.toMatchObject({
      statusCode: 403,
      message: 'You may not read the logs of component:default/payment-gateway',
    });
  });
});
