import { screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { K2_TEST_CONFIG, setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../__testUtils__/mockK2AlertsApi';
import { AlertsPage } from './AlertsPage';

jest.setTimeout(30_000);

const group = (name: string, title: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', title },
  spec: { type: 'team', children: [] },
});

function renderPage(
  api: ReturnType<typeof createK2AlertsApi>,
  options: { path?: string; groups?: string[] } = {},
) {
  return renderInTestApp(<AlertsPage />, {
    config: K2_TEST_CONFIG,
    initialRouteEntries: [options.path ?? '/'],
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    apis: [
      api,
      catalogApiMock({
        entities: [
          group('payments-team', 'Payments'),
          group('storefront-team', 'Storefront'),
        ],
      }),
      mockApis.identity({
        userEntityRef: 'user:default/alice',
        ownershipEntityRefs: [
          'user:default/alice',
          ...(options.groups ?? ['group:default/payments-team']),
        ],
      }),
      mockApis.permission(),
    ],
  });
}

describe('Alerts overview page', () => {
  it('lists the open incidents of the signed-in user’s first team, each linking to its service’s Alerts tab', async () => {
    const api = createK2AlertsApi();
    renderPage(api);
    const table = await screen.findByRole('table', {
      name: 'Open incidents of Payments',
    });
    expect(api.getTeamIncidents).toHaveBeenCalledWith(
      { namespace: 'default', name: 'payments-team' },
      { status: 'open' },
    );
    expect(screen.getByText('2 services')).toBeInTheDocument();
    const row = within(table).getByRole('row', { name: /High memory/ });
    expect(row).toHaveTextContent('Critical');
    expect(row).toHaveTextContent('Test');
    expect(
      within(row).getByRole('link', { name: 'payment-gateway' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway/alerts?incident=inc-memory',
    );
    expect(table).not.toHaveTextContent('Checkout probe');
  });

  it('switches to another team and to resolved incidents', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderPage(api);
    await screen.findByRole('table', { name: 'Open incidents of Payments' });
    await user.click(screen.getByRole('button', { name: /^Team/ }));
    await user.click(screen.getByRole('option', { name: 'Storefront' }));
    await screen.findByRole('table', { name: 'Open incidents of Storefront' });
    expect(api.getTeamIncidents).toHaveBeenLastCalledWith(
      { namespace: 'default', name: 'storefront-team' },
      { status: 'open' },
    );
    await user.click(screen.getByRole('button', { name: /^Status/ }));
    await user.click(screen.getByRole('option', { name: 'Resolved' }));
    const resolved = await screen.findByRole('table', {
      name: 'Resolved incidents of Storefront',
    });
    expect(resolved).toHaveTextContent('Checkout probe');
  });

  it('asks a user who belongs to no team to pick one', async () => {
    const api = createK2AlertsApi();
    renderPage(api, { groups: [] });
    expect(
      await screen.findByText('You belong to no team in the catalog'),
    ).toBeInTheDocument();
    await waitFor(() => expect(api.getTeamIncidents).not.toHaveBeenCalled());
  });
});
