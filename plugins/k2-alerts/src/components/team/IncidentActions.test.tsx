import { screen, waitFor, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { openIncidentDrawer as openDrawer } from '../../__testUtils__/openIncidentDrawer';
import { renderAlertsTab } from '../../__testUtils__/render';

jest.setTimeout(30_000);

describe('Acknowledge and Resolve in the incident drawer', () => {
  it('lets an owner acknowledge an open incident, then resolve it', async () => {
    const { api, user, drawer } = await openDrawer(true);
    await user.click(
      await within(drawer).findByRole('button', { name: 'Acknowledge' }),
    );
    expect(api.acknowledgeIncident).toHaveBeenCalledWith('inc-memory');
    expect(
      await within(drawer).findByText('Acknowledged by alice'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(drawer).queryByRole('button', { name: 'Acknowledge' }),
      ).not.toBeInTheDocument(),
    );

    await user.click(within(drawer).getByRole('button', { name: 'Resolve' }));
    expect(api.resolveIncident).toHaveBeenCalledWith('inc-memory');
    expect(
      await within(drawer).findByText('Resolved by alice'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        within(drawer).queryByRole('button', { name: 'Resolve' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('asks to acknowledge when opened from a message’s acknowledge link, and acknowledges only on the click', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderAlertsTab(api, { path: '/alerts?incident=inc-memory&acknowledge=1' });
    const drawer = await screen.findByRole('dialog', { name: 'High memory' });
    expect(
      await within(drawer).findByText(
        'You followed a link to acknowledge this incident: acknowledging stops its escalation.',
      ),
    ).toBeInTheDocument();
    expect(api.acknowledgeIncident).not.toHaveBeenCalled();
    await user.click(
      within(drawer).getByRole('button', { name: 'Acknowledge' }),
    );
    expect(api.acknowledgeIncident).toHaveBeenCalledWith('inc-memory');
    expect(
      await within(drawer).findByText('Acknowledged by alice'),
    ).toBeInTheDocument();
    expect(
      within(drawer).queryByText(/You followed a link/),
    ).not.toBeInTheDocument();
  });

  it('shows the refusal when the backend refuses', async () => {
    const { api, user, drawer } = await openDrawer(true);
    api.acknowledgeIncident.mockRejectedValueOnce(
      Object.assign(new Error('Incident inc-memory is resolved'), {
        name: 'ConflictError',
      }),
    );
    await user.click(
      await within(drawer).findByRole('button', { name: 'Acknowledge' }),
    );
    expect(
      await within(drawer).findByText(/Incident inc-memory is resolved/),
    ).toBeInTheDocument();
  });

  it('acknowledges from the list of open incidents without opening the incident', async () => {
    const api = createK2AlertsApi();
    const user = setupUser();
    renderAlertsTab(api);
    const open = await screen.findByRole('table', { name: 'Open incidents' });
    const row = within(open).getByRole('row', { name: /High memory/ });
    await user.click(
      await within(row).findByRole('button', { name: 'Acknowledge' }),
    );
    expect(api.acknowledgeIncident).toHaveBeenCalledWith('inc-memory');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await waitFor(() => expect(api.getIncidents).toHaveBeenCalledTimes(4));
  });
});
