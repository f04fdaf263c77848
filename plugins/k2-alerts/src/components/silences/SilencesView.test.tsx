import { screen, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { renderAlertsTab } from '../../__testUtils__/render';

jest.setTimeout(30_000);

const REFUSED =
  'Only the service’s owners (and platform admins) may silence its alerts';

describe('Silences', () => {
  it('creates a silence from an incident with the labels its alerts share, and a comment', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderAlertsTab(api, { path: '/alerts?incident=inc-memory' });
    const drawer = await screen.findByRole('dialog', { name: 'High memory' });
    await user.click(
      await within(drawer).findByRole('button', { name: 'Silence…' }),
    );
    const dialog = screen.getByRole('dialog', { name: 'New silence' });
    // Both alerts share their rule, name and cluster; their pods differ.
    const values = within(dialog)
      .getAllByRole('textbox', { name: 'Value' })
      .map(input => (input as HTMLInputElement).value);
    expect(values).toEqual(['High memory', 'test', 'r-memory']);
    expect(
      within(dialog).getByRole('button', { name: 'Silence' }),
    ).toBeDisabled();
    await user.click(
      within(dialog).getByRole('button', { name: 'Remove matcher cluster' }),
    );
    await user.click(within(dialog).getByRole('button', { name: /^For/ }));
    await user.click(screen.getByRole('option', { name: '1 day' }));
    await user.type(
      within(dialog).getByRole('textbox', { name: 'Comment' }),
      'Fixed by the next release',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Silence' }));
    expect(
      await within(drawer).findByRole('button', { name: 'Silenced' }),
    ).toBeInTheDocument();
    expect(api.createSilence).toHaveBeenCalledWith(
      { namespace: 'default', name: 'payment-gateway' },
      {
        environment: 'test',
        matchers: [
          { name: 'alertname', value: 'High memory', isRegex: false },
          { name: 'k2_rule', value: 'r-memory', isRegex: false },
        ],
        duration: '1d',
        comment: 'Fixed by the next release',
      },
    );
  });

  it('keeps the backend’s refusal in the dialog', async () => {
    const api = createK2AlertsApi();
    api.createSilence.mockRejectedValue(
      new Error('Alertmanager at http://127.0.0.1:7106 could not be reached'),
    );
    const user = setupUser();
    renderAlertsTab(api, { path: '/alerts/silences' });
    await screen.findByRole('table', { name: 'Silences' });
    await user.click(screen.getByRole('button', { name: 'New silence' }));
    const dialog = screen.getByRole('dialog', { name: 'New silence' });
    await user.type(
      within(dialog).getByRole('textbox', { name: 'Comment' }),
      'Maintenance',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Silence' }));
    expect(
      await within(dialog).findByText(/could not be reached/),
    ).toBeInTheDocument();
  });

  it('lists silences with who made them and until when, and expires one', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderAlertsTab(api, { path: '/alerts/silences' });
    const table = await screen.findByRole('table', { name: 'Silences' });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent('Active');
    expect(row).toHaveTextContent('Production');
    expect(row).toHaveTextContent('k2_rule="r-cpu"');
    expect(row).not.toHaveTextContent('k2_entity');
    expect(row).toHaveTextContent('alice');
    expect(row).toHaveTextContent('in 1 hour');
    expect(row).toHaveTextContent('CPU load test until noon');
    await user.click(within(row).getByRole('button', { name: 'Expire' }));
    const confirm = screen.getByRole('dialog', {
      name: 'Expire this silence?',
    });
    await user.click(within(confirm).getByRole('button', { name: 'Expire' }));
    expect(await within(table).findByText('Expired')).toBeInTheDocument();
    expect(api.expireSilence).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'sil-1',
    );
  });

  it('tells others than the owners why they cannot silence', async () => {
    const api = createK2AlertsApi();
    renderAlertsTab(api, { path: '/alerts/silences', manage: false });
    await screen.findByRole('table', { name: 'Silences' });
    const create = screen.getByRole('button', { name: 'New silence' });
    expect(create).toBeDisabled();
    expect(create.parentElement).toHaveAttribute('title', REFUSED);
  });
});
