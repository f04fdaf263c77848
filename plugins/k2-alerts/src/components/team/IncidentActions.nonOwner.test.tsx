import { screen, within } from '@testing-library/react';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { openIncidentDrawer } from '../../__testUtils__/openIncidentDrawer';
import { renderAlertsTab } from '../../__testUtils__/render';

jest.setTimeout(30_000);

// A file of its own: permission answers are cached per page, as in the app.
describe('Acknowledge and Resolve for someone else', () => {
  it('offers neither to someone who may not update the service’s incidents', async () => {
    const { drawer } = await openIncidentDrawer(false);
    expect(
      within(drawer).queryByRole('button', { name: 'Acknowledge' }),
    ).not.toBeInTheDocument();
    expect(
      within(drawer).queryByRole('button', { name: 'Resolve' }),
    ).not.toBeInTheDocument();
  });

  it('tells someone who followed an acknowledge link why they may not acknowledge', async () => {
    renderAlertsTab(createK2AlertsApi(), {
      manage: false,
      path: '/alerts?incident=inc-memory&acknowledge=1',
    });
    const drawer = await screen.findByRole('dialog', { name: 'High memory' });
    expect(
      await within(drawer).findByText(
        'Only the service’s owners and platform admins may acknowledge this incident.',
      ),
    ).toBeInTheDocument();
    expect(
      within(drawer).queryByRole('button', { name: 'Acknowledge' }),
    ).not.toBeInTheDocument();
  });
});
