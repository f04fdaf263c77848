import { K2ApiError } from '@internal/plugin-k2-common';
import { configFormatErrorOf, K2ConfigClient } from './K2ConfigClient';

/** A client whose fetch records each request and answers with `reply`. */
function clientAnswering(reply: (request: Request) => Response) {
  const requests: Request[] = [];
  const client = new K2ConfigClient({
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
const BASE =
  'http://backend.test/api/k2-config/services/default/basket/environments/test/files';

describe('K2ConfigClient', () => {
  it('calls the k2-config plugin with path parameters, queries and bodies', async () => {
    const { client, requests } = clientAnswering(request =>
      request.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json({ number: 2 }, request.method === 'POST' ? 201 : 200),
    );
    await client.getFiles(service, 'test');
    await client.createFile(service, 'test', {
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/app/application.yaml',
      content: 'a: 1\n',
    });
    await client.getFile(service, 'test', 'application.yaml');
    await client.getVersions(service, 'test', 'application.yaml', {
      limit: 5,
      before: 9,
    });
    await client.saveVersion(service, 'test', 'application.yaml', {
      content: 'a: 2\n',
      baseVersion: 1,
    });
    await client.getVersion(service, 'test', 'application.yaml', 2);
    await client.getContent(service, 'test', 'application.yaml', 2);
    await client.restoreVersion(service, 'test', 'application.yaml', 1);
    await client.compareVersions(service, 'test', 'application.yaml', 1, 2);
    await client.deleteFile(service, 'test', 'application.yaml');
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      `GET ${BASE}`,
      `POST ${BASE}`,
      `GET ${BASE}/application.yaml`,
      `GET ${BASE}/application.yaml/versions?limit=5&before=9`,
      `POST ${BASE}/application.yaml/versions`,
      `GET ${BASE}/application.yaml/versions/2`,
      `GET ${BASE}/application.yaml/versions/2/content`,
      `POST ${BASE}/application.yaml/versions/1/restore`,
      `GET ${BASE}/application.yaml/compare?from=1&to=2`,
      `DELETE ${BASE}/application.yaml`,
    ]);
    expect(await requests[4].json()).toEqual({
      content: 'a: 2\n',
      baseVersion: 1,
    });
  });

  it('throws the backend’s error, and reads a format error’s line and column from it', async () => {
    const { client } = clientAnswering(() =>
      json(
        {
          error: {
            name: 'InputError',
            message: 'Not valid yaml: line 3, column 9: Nested mappings',
            line: 3,
            column: 9,
          },
        },
        400,
      ),
    );
    const error = await client
      .saveVersion(service, 'test', 'application.yaml', {
        content: 'x',
        baseVersion: 1,
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error.message).toBe(
      'Not valid yaml: line 3, column 9: Nested mappings',
    );
    expect(configFormatErrorOf(error)).toEqual({
      line: 3,
      column: 9,
      message: 'Not valid yaml: line 3, column 9: Nested mappings',
    });
  });

  it('finds no format error in other errors', async () => {
    const conflict = new K2ApiError('application.yaml is at version 2', 409, {
      error: {
        name: 'ConflictError',
        message: 'application.yaml is at version 2',
      },
    });
    const badField = new K2ApiError('request/body must have content', 400, {
      error: { name: 'InputError', message: 'request/body must have content' },
    });
    expect(configFormatErrorOf(conflict)).toBeUndefined();
    expect(configFormatErrorOf(badField)).toBeUndefined();
    expect(configFormatErrorOf(new Error('x'))).toBeUndefined();
  });
});
