import { renderInTestApp } from '@backstage/frontend-test-utils';
import { K2_SECRET_MASK, K2EnvVar } from '@internal/plugin-k2-common';
import { k2ReactZh } from '@internal/plugin-k2-react';
import { screen, within } from '@testing-library/react';
import {
  IMAGE_REPOSITORY,
  K2_CONFIG,
  release,
} from '../__testUtils__/fixtures';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { setupUser } from '../__testUtils__/render';
import zh from '../translations/zh';
import { SpecDiff } from './SpecDiff';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(30_000);

const secret = (name: string, version: string, value = K2_SECRET_MASK) =>
  ({ name, secret: true, version, value } as K2EnvVar);

/** #6 runs 1.4.1 on four replicas over two clusters. */
const older = release({
  number: 6,
  environment: 'prod',
  spec: {
    image: `${IMAGE_REPOSITORY}:1.4.1`,
    replicas: 4,
    clusters: [
      { name: 'prod-a', replicas: 2, weight: 60 },
      { name: 'prod-b', replicas: 2, weight: 40 },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PAYMENTS_PROVIDER', value: 'stripe' },
      secret('DB_PASSWORD', 'v1'),
      secret('SESSION_KEY', 'k1'),
      { name: 'OLD_FLAG', value: '1' },
    ],
  },
});

/**
 * #7: a new tag, six replicas, a variable changed, one removed, the database password
 * replaced, the session key kept, and a new secret whose value (as a client might
 * build it) must still never be shown.
 */
const newer = release({
  number: 7,
  environment: 'prod',
  spec: {
    image: `${IMAGE_REPOSITORY}:1.4.2`,
    replicas: 6,
    clusters: [
      { name: 'prod-a', replicas: 4, weight: 60 },
      { name: 'prod-b', replicas: 2, weight: 40 },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'PAYMENTS_PROVIDER', value: 'stripe' },
      secret('DB_PASSWORD', 'v2'),
      secret('SESSION_KEY', 'k1'),
      secret('API_TOKEN', 't1', 'tok-live-9f8e7d'),
    ],
  },
});

const diffTable = () =>
  within(screen.getByRole('table', { name: 'Spec differences' }));
const cells = (field: RegExp) =>
  within(diffTable().getByRole('row', { name: field }))
    .getAllByRole('cell')
    .map(c => c.textContent);

describe('SpecDiff', () => {
  beforeEach(() => window.localStorage.clear());

  it('opens on the changed fields, each counted once, the unchanged rest folded', async () => {
    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
    );
    const user = setupUser();

    expect(
      screen.getByRole('heading', { name: 'Release #6 → #7' }),
    ).toBeInTheDocument();
    // image, replicas, LOG_LEVEL and DB_PASSWORD changed; API_TOKEN added; OLD_FLAG removed.
    expect(
      screen.getByText('6 changes: 4 changed, 1 added, 1 removed'),
    ).toBeInTheDocument();
    // Replicas once, with their split over the clusters: no row per cluster.
    expect(diffTable().getAllByRole('row', { name: /replicas/ })).toHaveLength(
      1,
    );
    expect(cells(/replicas/)).toEqual([
      '−Removed: replicas: 4 (prod-a: 2, prod-b: 2)',
      '+Added: replicas: 6 (prod-a: 4, prod-b: 2)',
    ]);
    expect(cells(/image/)).toEqual([
      `−Removed: image: ${IMAGE_REPOSITORY}:1.4.1`,
      `+Added: image: ${IMAGE_REPOSITORY}:1.4.2`,
    ]);
    expect(cells(/OLD_FLAG/)).toEqual(['−Removed: env.OLD_FLAG: 1', '']);
    // Unchanged context beside the changes; the fields far from any change folded.
    expect(cells(/PAYMENTS_PROVIDER/)).toEqual([
      ' env.PAYMENTS_PROVIDER: stripe',
      ' env.PAYMENTS_PROVIDER: stripe',
    ]);
    expect(
      diffTable().queryByRole('row', { name: /logDirectory/ }),
    ).not.toBeInTheDocument();

    await user.click(
      screen.getByRole('button', { name: 'Show 12 unchanged lines' }),
    );
    expect(cells(/logDirectory/)).toEqual([
      ' logDirectory: /var/log/k2/payments-core/payment-gateway',
      ' logDirectory: /var/log/k2/payments-core/payment-gateway',
    ]);
  });

  it('never shows a secret value, and tells a replaced secret from a kept one', async () => {
    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
    );

    expect(document.body).not.toHaveTextContent('tok-live-9f8e7d');
    expect(cells(/API_TOKEN/)).toEqual([
      '',
      `+Added: env.API_TOKEN: ${K2_SECRET_MASK}`,
    ]);
    expect(cells(/DB_PASSWORD/)).toEqual([
      `−Removed: env.DB_PASSWORD: ${K2_SECRET_MASK}`,
      `+Added: env.DB_PASSWORD: ${K2_SECRET_MASK}value changed`,
    ]);
    expect(cells(/SESSION_KEY/)).toEqual([
      ` env.SESSION_KEY: ${K2_SECRET_MASK}`,
      ` env.SESSION_KEY: ${K2_SECRET_MASK}`,
    ]);
  });

  it('shows the variables of bound middleware by name, a secret one by the Secret key it reads', async () => {
    const unbound = release({ number: 8, spec: { env: [] } });
    const bound = release({
      number: 9,
      spec: {
        env: [],
        bindings: [
          {
            name: 'REDIS_HOST',
            instance: 'cart-cache',
            value: 'cart.shop.svc',
          },
          {
            name: 'REDIS_PASSWORD',
            instance: 'cart-cache',
            secretKeyRef: { name: 'k2-mw-cart-cache', key: 'password' },
          },
        ],
      },
    });
    await renderInTestApp(
      <SpecDiff older={unbound} newer={bound} onClose={() => {}} />,
    );

    expect(screen.getByText('2 changes: 2 added')).toBeInTheDocument();
    expect(cells(/REDIS_HOST/)).toEqual([
      '',
      '+Added: bindings.REDIS_HOST: cart.shop.svc (cart-cache)',
    ]);
    expect(cells(/REDIS_PASSWORD/)).toEqual([
      '',
      '+Added: bindings.REDIS_PASSWORD: secret k2-mw-cart-cache/password (cart-cache)',
    ]);
  });

  it('switches to the unified view, keeps it for the next diff, and shows every line on request', async () => {
    const view = await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
    );
    const user = setupUser();

    await user.click(screen.getByRole('button', { name: 'Unified' }));
    expect(
      diffTable()
        .getAllByRole('row', { name: /replicas/ })
        .map(r => r.textContent),
    ).toEqual([
      '−Removed: replicas: 4 (prod-a: 2, prod-b: 2)',
      '+Added: replicas: 6 (prod-a: 4, prod-b: 2)',
    ]);
    view.unmount();

    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
    );
    expect(screen.getByRole('button', { name: 'Unified' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(diffTable().getAllByRole('row', { name: /replicas/ })).toHaveLength(
      2,
    );
    await user.click(screen.getByRole('button', { name: 'All lines' }));
    expect(
      screen.queryByRole('button', { name: /unchanged line/ }),
    ).not.toBeInTheDocument();
    expect(
      diffTable().getByRole('row', { name: /namespace/ }),
    ).toHaveTextContent('namespace: payments-core');
  });

  it('closes with its Close button', async () => {
    const onClose = jest.fn();
    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={onClose} />,
    );
    await setupUser().click(screen.getByRole('button', { name: 'Close' }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('reads in Simplified Chinese', async () => {
    await renderInTestApp(
      <SpecDiff older={older} newer={newer} onClose={() => {}} />,
      { config: K2_CONFIG, apis: [...languageApis('zh', [zh, k2ReactZh])] },
    );

    expect(
      screen.getByRole('heading', { name: '发布 #6 → #7' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('6 处变更：修改 4 处，新增 1 处，删除 1 处'),
    ).toBeInTheDocument();
    expect(screen.getByRole('table', { name: '配置差异' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '左右对比' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(screen.getByRole('button', { name: '仅变更' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      screen.getByRole('button', { name: '展开 12 行未变更内容' }),
    ).toBeInTheDocument();
    expect(screen.getByText('值已更改')).toBeInTheDocument();
  });
});
