import type { paths } from '../generated/openapi';
import { createK2ApiClient } from './createK2ApiClient';

const activity = {
  service: 'component:default/checkout',
  actor: 'user:default/ana',
  action: 'release',
  summary: 'Released 1.0.0',
  result: 'succeeded' as const,
};

describe('createK2ApiClient', () => {
  it('posts the JSON body through a fetch that builds its own Request twice, as the app’s fetch middlewares do', async () => {
    const sent: string[] = [];
    const client = await createK2ApiClient<paths>('k2', {
      discoveryApi: {
        getBaseUrl: async pluginId => `http://backend.test/api/${pluginId}`,
      },
      fetchApi: {
        fetch: async (input, init) => {
          // One middleware adds a header, the next resolves the URL: each makes a
          // new Request from what it was given.
          const first = new Request(input, init);
          const second = new Request(input, {
            ...init,
            headers: first.headers,
          });
          sent.push(`${second.method} ${second.url} ${await second.text()}`);
          return new Response(null, { status: 201 });
        },
      },
    });
    await client.POST('/activity', { body: activity });
    expect(sent).toEqual([
      `POST http://backend.test/api/k2/activity ${JSON.stringify(activity)}`,
    ]);
  });
});
