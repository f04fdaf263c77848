import { K2ApiError } from './K2ApiError';
import { K2CoreClient } from './K2CoreClient';

describe('K2CoreClient', () => {
  const requests: Request[] = [];
  const client = (reply: () => Response) =>
    new K2CoreClient({
      discoveryApi: {
        getBaseUrl: async pluginId => `http://backend.test/api/${pluginId}`,
      },
      fetchApi: {
        fetch: async (input, init) => {
          requests.push(new Request(input, init));
          return reply();
        },
      },
    });
  beforeEach(() => requests.splice(0));

  it('reads a page of the activity log and the cluster health from the k2 plugin', async () => {
    const page = { items: [], nextCursor: '7' };
    const reader = client(() => Response.json(page));
    expect(
      await reader.getActivity(
        { namespace: 'default', name: 'check out' },
        { limit: 50, before: '12' },
      ),
    ).toEqual(page);
    await reader.getClusters();
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET http://backend.test/api/k2/services/default/check%20out/activity?limit=50&before=12',
      'GET http://backend.test/api/k2/clusters',
    ]);
  });

  it('throws the backend’s message and status', async () => {
    const refused = client(() =>
      Response.json(
        { error: { name: 'NotAllowedError', message: 'You may not read' } },
        { status: 403 },
      ),
    );
    const error = await refused
      .getActivity({ namespace: 'default', name: 'checkout' })
      .catch(e => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({
      statusCode: 403,
      message: 'You may not read',
    });
  });
});
