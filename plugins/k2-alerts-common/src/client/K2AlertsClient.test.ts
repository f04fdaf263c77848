import { K2ApiError } from '@internal/plugin-k2-common';
import { K2AlertsClient } from './K2AlertsClient';

/** A client whose fetch records each request and answers with `reply`. */
function clientAnswering(reply: (request: Request) => Response) {
  const requests: Request[] = [];
  const client = new K2AlertsClient({
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
const API = 'http://backend.test/api/k2-alerts';
const rule = {
  environment: 'test',
  name: 'BasketMemory',
  templateId: 'memory-usage',
  parameters: { threshold: 90 },
};

describe('K2AlertsClient', () => {
  it('calls the k2-alerts plugin with path parameters, queries and bodies', async () => {
    const { client, requests } = clientAnswering(request =>
      request.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json({ items: [] }, request.method === 'POST' ? 201 : 200),
    );
    await client.getTemplates();
    await client.getRules(service, 'test');
    await client.createRule(service, rule);
    await client.previewRule(service, rule);
    await client.updateRule(service, 'r-1', { ...rule, enabled: false });
    await client.deleteRule(service, 'r-1');
    await client.getIncidents(service, { status: 'open', limit: 20 });
    await client.getIncident('inc-1');
    await client.getAlertHistory(service, {
      severity: 'critical',
      cursor: 'c2',
    });
    await client.getTeamIncidents(
      { namespace: 'default', name: 'shop-team' },
      { status: 'resolved' },
    );
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      `GET ${API}/templates`,
      `GET ${API}/services/default/basket/rules?environment=test`,
      `POST ${API}/services/default/basket/rules`,
      `POST ${API}/services/default/basket/rules/preview`,
      `PUT ${API}/services/default/basket/rules/r-1`,
      `DELETE ${API}/services/default/basket/rules/r-1`,
      `GET ${API}/services/default/basket/incidents?status=open&limit=20`,
      `GET ${API}/incidents/inc-1`,
      `GET ${API}/services/default/basket/alerts?severity=critical&cursor=c2`,
      `GET ${API}/teams/default/shop-team/incidents?status=resolved`,
    ]);
    expect(await requests[2].json()).toEqual(rule);
    expect(await requests[4].json()).toEqual({ ...rule, enabled: false });
  });

  it('lists, creates and expires silences and reads statistics of a service and a team', async () => {
    const { client, requests } = clientAnswering(request =>
      request.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json({ items: [] }, request.method === 'POST' ? 201 : 200),
    );
    const silence = {
      environment: 'test',
      matchers: [{ name: 'k2_rule', value: 'memory-high' }],
      duration: '2h',
      comment: 'Known: fixed in the next release',
    };
    await client.getSilences(service);
    await client.createSilence(service, silence);
    await client.expireSilence(service, 'a1b2');
    await client.getServiceStats(service, 30);
    await client.getTeamStats({ namespace: 'default', name: 'shop-team' });
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      `GET ${API}/services/default/basket/silences`,
      `POST ${API}/services/default/basket/silences`,
      `DELETE ${API}/services/default/basket/silences/a1b2`,
      `GET ${API}/services/default/basket/stats?days=30`,
      `GET ${API}/teams/default/shop-team/stats`,
    ]);
    expect(await requests[1].json()).toEqual(silence);
  });

  it('acknowledges and resolves incidents and reads, changes and previews team settings', async () => {
    const { client, requests } = clientAnswering(() => json({}));
    const team = { namespace: 'default', name: 'shop-team' };
    const settings = {
      channels: [
        {
          id: 'chat',
          type: 'webhook' as const,
          enabled: true,
          template: '{{ title }}',
        },
      ],
      escalation: [{ target: 'team' as const, waitSeconds: 300 }],
    };
    await client.acknowledgeIncident('17');
    await client.resolveIncident('17');
    await client.getTeamSettings(team);
    await client.updateTeamSettings(team, settings);
    await client.previewTeamMessage(team, { template: '{{ title }}' });
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      `POST ${API}/incidents/17/acknowledge`,
      `POST ${API}/incidents/17/resolve`,
      `GET ${API}/teams/default/shop-team/settings`,
      `PUT ${API}/teams/default/shop-team/settings`,
      `POST ${API}/teams/default/shop-team/settings/preview`,
    ]);
    expect(await requests[0].json()).toEqual({});
    expect(await requests[3].json()).toEqual(settings);
    expect(await requests[4].json()).toEqual({ template: '{{ title }}' });
  });

  it("throws the backend's error, with its status and message", async () => {
    const { client } = clientAnswering(() =>
      json(
        {
          error: {
            name: 'InputError',
            message: "Template memory-usage has no parameter 'limit'",
          },
        },
        400,
      ),
    );
    const failure = client.createRule(service, rule);
    await expect(failure).rejects.toBeInstanceOf(K2ApiError);
    await expect(failure).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining("no parameter 'limit'"),
    });
  });
});
