import { K2TrafficClient } from './K2TrafficClient';

/** A client whose fetch records each request and answers with `reply`. */
function clientAnswering(reply: (request: Request) => Response) {
  const requests: Request[] = [];
  const client = new K2TrafficClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `http://backend.test/api/${pluginId}`,
    },
    fetchApi: {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        requests.push(request);
        return reply(request);
      },
    },
  });
  return { client, requests };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

const service = { namespace: 'default', name: 'basket' };
const site = {
  template: 'default',
  upstreams: [{ name: 'app' }],
  locations: [{ path: '/', upstream: 'app' }],
};

describe('K2TrafficClient', () => {
  it('calls the k2-traffic plugin with path parameters, queries and bodies', async () => {
    const { client, requests } = clientAnswering(() =>
      json({ number: 2 }, 201),
    );
    await client.getVersions(service, 'test', { limit: 5, before: 9 });
    await client.compareVersions(service, 'test', 1, 2);
    await client.publish(service, 'test', { site, message: 'Go' });
    await client.rollback(service, 'test', 1);
    await client.approve(service, 'prod', 7);
    await client.reject(service, 'prod', 8, { reason: 'Not now' });
    await client.withdraw(service, 'prod', 9, { reason: 'Wrong domain' });
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET http://backend.test/api/k2-traffic/services/default/basket/environments/test/site/versions?limit=5&before=9',
      'GET http://backend.test/api/k2-traffic/services/default/basket/environments/test/site/compare?from=1&to=2',
      'POST http://backend.test/api/k2-traffic/services/default/basket/environments/test/site/versions',
      'POST http://backend.test/api/k2-traffic/services/default/basket/environments/test/site/versions/1/rollback',
      'POST http://backend.test/api/k2-traffic/services/default/basket/environments/prod/site/changes/7/approve',
      'POST http://backend.test/api/k2-traffic/services/default/basket/environments/prod/site/changes/8/reject',
      'POST http://backend.test/api/k2-traffic/services/default/basket/environments/prod/site/changes/9/withdraw',
    ]);
    expect(await requests[2].json()).toEqual({ site, message: 'Go' });
    expect(await requests[5].json()).toEqual({ reason: 'Not now' });
    expect(await requests[6].json()).toEqual({ reason: 'Wrong domain' });
  });

  it('throws the backend’s error with its message', async () => {
    const { client } = clientAnswering(() =>
      json(
        {
          error: {
            name: 'InputError',
            message: "site.domains[0]: may not contain ';'",
          },
          response: { statusCode: 400 },
        },
        400,
      ),
    );
    await expect(
      client.publish(service, 'test', { site, message: 'Bad' }),
    ).rejects.toThrow("site.domains[0]: may not contain ';'");
  });
});
