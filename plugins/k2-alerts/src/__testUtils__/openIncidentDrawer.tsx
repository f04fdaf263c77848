import { screen, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from './mockK2AlertsApi';
import { renderAlertsTab } from './render';

/**
 * Renders the Alerts tab, opens the open High memory incident in its drawer and waits
 * for its alerts, as an owner (`manage`) or anyone else signed in.
 */
export async function openIncidentDrawer(manage: boolean) {
  const api = createK2AlertsApi();
  const user = setupUser();
  renderAlertsTab(api, { manage });
  const open = await screen.findByRole('table', { name: 'Open incidents' });
  await user.click(within(open).getByText('High memory'));
  const drawer = await screen.findByRole('dialog', { name: 'High memory' });
  await within(drawer).findByRole('table', { name: 'Alerts' });
  return { api, user, drawer };
}
