import { screen, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { renderAlertsTab } from '../../__testUtils__/render';

jest.setTimeout(30_000);

describe('Statistics', () => {
  it('shows incidents per day and severity, MTTA, MTTR, the unacknowledged and the noisiest rules', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderAlertsTab(api, { path: '/alerts/stats' });
    const chart = await screen.findByRole('img', {
      name: 'Incidents per day by severity',
    });
    // One bar per day, the last day's title with its counts.
    expect(chart.querySelectorAll('g')).toHaveLength(14);
    expect(chart.querySelectorAll('g')[13]).toHaveTextContent(
      '2026-11-26: 2 critical, 1 warning, 0 info',
    );
    expect(screen.getByText('2 critical · 1 warning · 1 info')).toBeVisible();
    expect(
      screen.getByText('Median time to acknowledge').parentElement,
    ).toHaveTextContent('4 minover 2 incidents');
    expect(
      screen.getByText('Median time to resolve').parentElement,
    ).toHaveTextContent('1.5 hover 3 incidents');
    expect(
      screen.getByText('Nobody acknowledged').parentElement,
    ).toHaveTextContent('25 alerts');
    const noisiest = screen.getByRole('table', { name: 'Noisiest rules' });
    expect(within(noisiest).getAllByRole('row')[1]).toHaveTextContent(
      'High memory r-memory39',
    );
    expect(api.getServiceStats).toHaveBeenLastCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      14,
    );
    await user.click(screen.getByRole('button', { name: /^Period/ }));
    await user.click(screen.getByRole('option', { name: 'Last 30 days' }));
    expect(
      await screen.findByRole('img', { name: 'Incidents per day by severity' }),
    ).toBeInTheDocument();
    expect(api.getServiceStats).toHaveBeenLastCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      30,
    );
  });
});
