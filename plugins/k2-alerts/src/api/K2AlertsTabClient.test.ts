import { K2ApiError } from '@internal/plugin-k2-common';
import { K2AlertsTabClient } from './K2AlertsTabClient';

describe('K2AlertsTabClient', () => {
  const requests: Request[] = [];
  const client = (reply: () => Response) =>
    new K2AlertsTabClient({
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
  const service = { namespace: 'default', name: 'payment-gateway' };
  beforeEach(() => requests.splice(0));

  it('reads incidents, an incident, the history and a team’s incidents from the k2-alerts plugin', async () => {
    const page = { items: [], nextCursor: '7' };
    const api = client(() => Response.json(page));
    expect(
      await api.getIncidents(service, { status: 'open', environment: 'test' }),
    ).toEqual(page);
    await api.getIncident('42');
    await api.getAlertHistory(service, {
      status: 'resolved',
      rule: 'signal:oomkilled',
      cursor: '50',
      limit: 50,
    });
    await api.getTeamIncidents(
      { namespace: 'default', name: 'payments-team' },
      { status: 'resolved' },
    );
    await api.getRules(service, 'prod');
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET http://backend.test/api/k2-alerts/services/default/payment-gateway/incidents?status=open&environment=test',
      'GET http://backend.test/api/k2-alerts/incidents/42',
      'GET http://backend.test/api/k2-alerts/services/default/payment-gateway/alerts?status=resolved&rule=signal%3Aoomkilled&cursor=50&limit=50',
      'GET http://backend.test/api/k2-alerts/teams/default/payments-team/incidents?status=resolved',
      'GET http://backend.test/api/k2-alerts/services/default/payment-gateway/rules?environment=prod',
    ]);
  });

  it('throws the backend’s refusal with its message and status', async () => {
    const api = client(() =>
      Response.json(
        { error: { name: 'NotFoundError', message: 'No incident 42' } },
        { status: 404 },
      ),
    );
    const error = await api.getIncident('42').catch(e => e);
    expect(error).toBeInstanceOf(K2ApiError);
    expect(error).toMatchObject({ statusCode: 404, message: 'No incident 42' });
  });
});
