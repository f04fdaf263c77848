// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the test backend runs the k2 core plugin beside the capability plugin, as the app does
import {
  ALICE,
  as,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import knexFactory, { Knex } from 'knex';
import request from 'supertest';
import { k2AlertsPlugin } from '../plugin';

jest.setTimeout(120_000);

const API = '/api/k2-alerts';

const basket = serviceEntity('basket', {
  'k2.io/environments': 'test',
  'k2.io/namespace': 'shop',
});

describe('Statistics routes', () => {
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  const get = (path: string) =>
    request(backend.server)
      .get(`${API}${path}`)
      .set('Authorization', as(ALICE).Authorization);

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test-a',
      tokens: ['test-a-token'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2PluginTestBackend({
      plugin: k2AlertsPlugin,
      pluginId: 'k2-alerts',
      entities: [basket],
      clusters: [cluster],
      knex,
      k2: {
        environments: [{ name: 'test', clusters: [{ name: 'test-a' }] }],
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  it.each([['1'], ['90']])(
    'answers a service’s statistics over %s day(s)',
    async days => {
      const response = await get(`/services/default/basket/stats?days=${days}`);
      expect(response.status).toBe(200);
      expect(response.body.days).toBe(Number(days));
    },
  );

  it.each([
    ['services/default/basket', '0'],
    ['services/default/basket', '91'],
    ['services/default/basket', 'x'],
    ['teams/default/shop-team', '0'],
    ['teams/default/shop-team', '91'],
    ['teams/default/shop-team', 'x'],
  ])('refuses %s stats over days=%s with a 400', async (path, days) => {
    const response = await get(`/${path}/stats?days=${days}`);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/days/);
  });
});
