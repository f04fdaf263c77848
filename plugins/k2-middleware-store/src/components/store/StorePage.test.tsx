import { screen, waitFor, within } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiPair,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { k2ReactZh } from '@internal/plugin-k2-react';
import {
  K2_TEST_CONFIG,
  languageApis,
  setupUser,
} from '@internal/plugin-k2-react/testUtils';
import zh from '../../translations/zh';
import {
  createK2MiddlewareStoreApi,
  instanceId,
} from '../../__testUtils__/mockK2MiddlewareStoreApi';
import { StorePage } from './StorePage';

jest.setTimeout(30_000);

const component = (name: string, owner: string, environments: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'backstage.io/kubernetes-id': name,
      'k2.io/environments': environments,
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner },
  relations: [{ type: 'ownedBy', targetRef: owner }],
});

const group = (name: string, title: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', title },
  spec: { type: 'team', children: [] },
});

function renderPage(
  api: ReturnType<typeof createK2MiddlewareStoreApi>,
  path = '/',
  language?: ReturnType<typeof languageApis>,
) {
  const apis: TestApiPair<any>[] = [
    api,
    catalogApiMock({
      entities: [
        component(
          'payment-gateway',
          'group:default/payments-team',
          'test,prod',
        ),
        component('ledger', 'group:default/payments-team', 'test'),
        component('storefront', 'group:default/storefront-team', 'test'),
        group('payments-team', 'Payments'),
        group('storefront-team', 'Storefront'),
      ],
    }),
    mockApis.identity({
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: [
        'user:default/alice',
        'group:default/payments-team',
      ],
    }),
    mockApis.permission(),
    ...(language ?? []),
  ];
  return renderInTestApp(<StorePage />, {
    config: K2_TEST_CONFIG,
    initialRouteEntries: [path],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    apis,
  });
}

describe('App Store page', () => {
  it('shows one card per product with its versions, and a template’s details', async () => {
    const user = setupUser();
    renderPage(createK2MiddlewareStoreApi());
    const products = await screen.findAllByRole('listitem');
    expect(products).toHaveLength(2);
    const redis = products.find(p => p.textContent?.includes('redis 7.2'))!;
    expect(redis).toHaveTextContent('Cache');
    expect(redis).toHaveTextContent('redis 6.2');
    expect(redis).toHaveTextContent('In-memory key-value store');

    await user.click(
      within(redis).getByRole('button', { name: 'Details of redis 7.2' }),
    );
    const drawer = await screen.findByRole('dialog', { name: 'Redis (7.2)' });
    expect(within(drawer).getByText('StatefulSet')).toBeInTheDocument();
    expect(within(drawer).getByText('PodDisruptionBudget')).toBeInTheDocument();
    const parameters = within(drawer).getByRole('table', {
      name: 'Parameters',
    });
    expect(
      within(parameters).getByRole('row', { name: /Mode \(mode\)/ }),
    ).toHaveTextContent('One of: standalone, sentinel');
    const connection = within(drawer).getByRole('table', {
      name: 'Connection env vars a bound service receives',
    });
    expect(
      within(connection).getByRole('row', { name: /REDIS_PASSWORD/ }),
    ).toHaveTextContent('from the Secret');
    expect(drawer).toHaveTextContent('Connect with REDIS_HOST');
  });

  it('creates from a template for one of the user’s services, then opens it among the instances', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderPage(api, '/?template=redis-7');
    const drawer = await screen.findByRole('dialog', { name: 'Redis (7.2)' });
    const create = within(drawer).getByRole('button', { name: 'Create Redis' });
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    const dialog = await screen.findByRole('dialog', { name: 'Create Redis' });
    await user.click(within(dialog).getByLabelText('Service'));
    const options = await screen.findAllByRole('option');
    // Only the services the user's team owns.
    expect(options.map(o => o.textContent)).toEqual([
      'ledger',
      'payment-gateway',
    ]);
    await user.click(options[0]);
    // ledger runs in test only.
    await user.click(within(dialog).getByLabelText('Environment'));
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(['Test']);
    await user.keyboard('{Escape}');
    await user.type(within(dialog).getByLabelText('Name'), 'ledger-cache');
    await user.click(within(dialog).getByLabelText('Size'));
    await user.click(
      await screen.findByRole('option', {
        name: 'medium · 1 CPU · 2Gi per replica',
      }),
    );
    await user.type(within(dialog).getByLabelText('Time to live (days)'), '3');
    await user.click(within(dialog).getByRole('button', { name: 'Create' }));
    await waitFor(() =>
      expect(api.createInstance).toHaveBeenCalledWith(
        { namespace: 'default', name: 'ledger' },
        {
          environment: 'test',
          template: 'redis-7',
          name: 'ledger-cache',
          parameters: { size: 'medium' },
          ttlDays: 3,
        },
      ),
    );
    const opened = await screen.findByRole('dialog', { name: 'ledger-cache' });
    expect(await within(opened).findByText('Creating')).toBeInTheDocument();
    await user.click(within(opened).getByRole('button', { name: 'Close' }));
    const table = await screen.findByRole('table', { name: 'Instances' });
    expect(
      within(table).getByRole('row', { name: 'Open ledger-cache' }),
    ).toHaveTextContent('Creating');
  });

  it('shows the templates’ own words in Chinese, each field a template leaves untranslated in English', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderPage(api, '/', languageApis('zh', [zh, k2ReactZh]));
    const products = await screen.findAllByRole('listitem');
    const redis = products.find(p => p.textContent?.includes('redis 7.2'))!;
    expect(redis).toHaveTextContent('Redis 缓存');
    expect(redis).toHaveTextContent('内存键值存储，单机或带哨兵');
    expect(redis).not.toHaveTextContent('In-memory');
    // MySQL has no Chinese: its own English shows.
    const mysql = products.find(p => p.textContent?.includes('mysql 8.0'))!;
    expect(mysql).toHaveTextContent('Relational database');

    await user.click(
      within(redis).getByRole('button', { name: 'redis 7.2 详情' }),
    );
    const drawer = await screen.findByRole('dialog', {
      name: 'Redis 缓存 (7.2)',
    });
    expect(drawer).toHaveTextContent('用 REDIS_HOST 和 REDIS_PASSWORD 连接。');
    expect(drawer).not.toHaveTextContent('Connect with');
    const parameters = within(drawer).getByRole('table', { name: '参数' });
    expect(
      within(parameters).getByRole('row', { name: /^模式 \(mode\)/ }),
    ).toHaveTextContent(
      '哨兵模式运行三个副本并自动故障转移可选值：单机 (standalone), 哨兵 (sentinel)',
    );
    expect(
      within(parameters).getByRole('row', {
        name: /^Eviction policy \(maxmemoryPolicy\)/,
      }),
    ).toHaveTextContent('可选值：noeviction, allkeys-lru');
    const presets = within(drawer).getByRole('table', { name: '规格' });
    expect(
      within(presets).getByRole('row', { name: /^小型 \(small\)/ }),
    ).toBeInTheDocument();
    const connection = within(drawer).getByRole('table', {
      name: '绑定的服务获得的连接环境变量',
    });
    expect(
      within(connection).getByRole('row', { name: /REDIS_PASSWORD/ }),
    ).toHaveTextContent('默认用户的密码');

    const create = within(drawer).getByRole('button', {
      name: '创建 Redis 缓存',
    });
    await waitFor(() => expect(create).toBeEnabled());
    await user.click(create);
    const dialog = await screen.findByRole('dialog', {
      name: '创建 Redis 缓存',
    });
    expect(within(dialog).getByLabelText('模式')).toBeInTheDocument();
    expect(dialog).toHaveTextContent(
      '哨兵模式运行三个副本并自动故障转移 · 单机 (standalone) — 模板默认值',
    );
    expect(dialog).toHaveTextContent('小型 (small) — 模板默认值');
    await user.click(within(dialog).getByLabelText('模式'));
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(['单机 (standalone)', '单机 (standalone)', '哨兵 (sentinel)']);
    await user.keyboard('{Escape}');
    await user.click(within(dialog).getByLabelText('规格'));
    await user.click(
      await screen.findByRole('option', {
        name: '中型 (medium) · 1 CPU · 每副本 2Gi',
      }),
    );
    await user.type(within(dialog).getByLabelText('名称'), 'ledger-cache');
    await user.click(within(dialog).getByRole('button', { name: '创建' }));
    // The value is sent, never its label.
    await waitFor(() =>
      expect(api.createInstance).toHaveBeenCalledWith(
        expect.anything(),
        expect.objectContaining({ parameters: { size: 'medium' } }),
      ),
    );
  });

  it('opens an instance’s drawer from the link the catalog gives its Resource', async () => {
    const api = createK2MiddlewareStoreApi();
    renderPage(api, `/?instance=${instanceId('cache')}`);
    const drawer = await screen.findByRole('dialog', { name: 'orders-cache' });
    await waitFor(() => expect(drawer).toHaveTextContent('Ready · Expires'));
  });

  it('filters every team’s instances by state and links each to its service’s Middleware tab', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderPage(api, '/instances');
    const table = await screen.findByRole('table', { name: 'Instances' });
    expect(within(table).getAllByRole('row')).toHaveLength(5);
    const cache = within(table).getByRole('row', { name: 'Open orders-cache' });
    expect(
      within(cache).getByRole('link', { name: 'payment-gateway' }),
    ).toHaveAttribute(
      'href',
      `/catalog/default/component/payment-gateway/middleware?instance=${instanceId(
        'cache',
      )}`,
    );
    await user.click(screen.getByRole('button', { name: /^State/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Awaiting approval' }),
    );
    await waitFor(() =>
      expect(api.getInstances).toHaveBeenLastCalledWith({
        state: 'awaiting-approval',
      }),
    );
    await waitFor(() =>
      expect(
        within(screen.getByRole('table', { name: 'Instances' })).getAllByRole(
          'row',
        ),
      ).toHaveLength(2),
    );
    await user.click(screen.getByRole('button', { name: /^Team/ }));
    await user.click(await screen.findByRole('option', { name: 'Storefront' }));
    expect(await screen.findByText(/No instance matches/)).toBeInTheDocument();
  });
});
