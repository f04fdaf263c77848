import { K2ApiError } from '@internal/plugin-k2-common';
import { K2DeployClient } from './K2DeployClient';

/** A client whose fetch records each request and answers with `reply`. */
function clientAnswering(
  reply: (request: Request) => Response,
  options: { errorFromResponse?: (response: Response) => Promise<Error> } = {},
) {
  const requests: Request[] = [];
  const client = new K2DeployClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `http://backend.test/api/${pluginId}`,
    },
    fetchApi: {
      // As the app's fetch does: a new Request from what the client passes.
      fetch: async (input, init) => {
        const request = new Request(input, init);
        requests.push(request);
        return reply(request);
      },
    },
    ...options,
  });
  return { client, requests };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('K2DeployClient', () => {
  it('calls the k2-deploy plugin with encoded path parameters, the query and the JSON body', async () => {
    const { client, requests } = clientAnswering(() => json({ id: 'r1' }, 201));
    await client.getEvents(
      { namespace: 'default', name: 'checkout' },
      { environment: 'test', warningsOnly: true, pod: undefined },
    );
    const release = await client.release(
      { namespace: 'default', name: 'check out' },
      { environment: 'test', image: '1.0.0' },
    );
    expect(release).toEqual({ id: 'r1' });
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET http://backend.test/api/k2-deploy/services/default/checkout/events?environment=test&warningsOnly=true',
      'POST http://backend.test/api/k2-deploy/services/default/check%20out/releases',
    ]);
    expect(await requests[1].json()).toEqual({
      environment: 'test',
      image: '1.0.0',
    });
  });

  it('sends DELETE for autoscaling off and PUT with the settings for on', async () => {
    const { client, requests } = clientAnswering(() => json({ id: 'r2' }, 201));
    const service = { namespace: 'default', name: 'checkout' };
    await client.setAutoscaling(service, 'test', null);
    await client.setAutoscaling(service, 'test', {
      minReplicas: 2,
      maxReplicas: 4,
      cpuUtilization: 70,
    });
    expect(requests.map(r => r.method)).toEqual(['DELETE', 'PUT']);
    expect(await requests[1].json()).toEqual({
      minReplicas: 2,
      maxReplicas: 4,
      cpuUtilization: 70,
    });
  });

  it('resolves instance actions answered 202 without a body', async () => {
    const { client } = clientAnswering(
      () =>
        new Response(null, { status: 202, headers: { 'Content-Length': '0' } }),
    );
    await expect(
      client.destroyInstance(
        { namespace: 'default', name: 'checkout' },
        { environment: 'test', cluster: 'test', pod: 'checkout-1' },
      ),
    ).resolves.toBeUndefined();
  });

  it('reaches the shell routes: the policy, a shell or a debug container, the sessions', async () => {
    const ticket = {
      sessionId: 's1',
      ticket: 't',
      expiresAt: '2026-11-27T10:00:30.000Z',
      path: '/shell-sessions/s1/stream',
      container: 'checkout',
    };
    const { client, requests } = clientAnswering(() => json(ticket, 201));
    const service = { namespace: 'default', name: 'checkout' };
    const instance = {
      environment: 'test',
      cluster: 'east',
      pod: 'checkout-1',
    };
    await client.getShellPolicy(service, 'test');
    expect(
      await client.openShell(service, instance, {
        container: 'checkout',
        cols: 120,
        rows: 30,
      }),
    ).toEqual(ticket);
    await client.startDebugContainer(service, instance, {
      image: 'busybox',
      target: 'checkout',
    });
    await client.listShellSessions({
      service: 'component:default/checkout',
      limit: 50,
    });
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET http://backend.test/api/k2-deploy/services/default/checkout/environments/test/shell',
      'POST http://backend.test/api/k2-deploy/services/default/checkout/environments/test/instances/east/checkout-1/shell',
      'POST http://backend.test/api/k2-deploy/services/default/checkout/environments/test/instances/east/checkout-1/debug',
      'GET http://backend.test/api/k2-deploy/shell-sessions?service=component%3Adefault%2Fcheckout&limit=50',
    ]);
    expect(await requests[1].json()).toEqual({
      container: 'checkout',
      cols: 120,
      rows: 30,
    });
    expect(await requests[2].json()).toEqual({
      image: 'busybox',
      target: 'checkout',
    });
  });

  it("throws the backend's message with its status", async () => {
    const { client } = clientAnswering(() =>
      json(
        {
          error: {
            name: 'InputError',
            message: "'replicas' must be <= 1000",
          },
          response: { statusCode: 400 },
        },
        400,
      ),
    );
    const error = await client
      .scale({ namespace: 'default', name: 'checkout' }, 'test', {
        replicas: 5000,
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({
      message: "'replicas' must be <= 1000",
      statusCode: 400,
      body: { error: { name: 'InputError' } },
    });
  });

  it('throws the error the caller makes from the response, when given', async () => {
    const { client } = clientAnswering(
      () => new Response('down', { status: 503 }),
      {
        errorFromResponse: async response =>
          new Error(`custom ${response.status} ${await response.text()}`),
      },
    );
    await expect(client.getRelease('r1')).rejects.toThrow('custom 503 down');
  });
});
