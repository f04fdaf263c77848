import { screen, waitFor, within } from '@testing-library/react';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { renderTeamSettings } from '../../__testUtils__/renderTeamSettings';

jest.setTimeout(30_000);

// Apart from the member's tests: usePermission keeps its decisions for the whole file.
describe('Team alert settings for someone outside the team', () => {
  it('shows bob the settings as text, says why he cannot change them, and offers nothing to change', async () => {
    const api = createK2AlertsApi();
    renderTeamSettings(api, { groups: ['group:default/storefront-team'] });
    const channels = await screen.findByRole('table', { name: 'Channels' });
    expect(
      screen.getByText(
        'You can read these settings but not change them: only members of Payments and platform admins may.',
      ),
    ).toBeInTheDocument();
    const webhook = within(channels).getByRole('row', { name: /dingtalk/ });
    expect(webhook).toHaveTextContent('https://oapi.dingtalk.example/…');
    expect(webhook).toHaveTextContent('Yes');
    expect(
      within(screen.getByRole('region', { name: 'Quiet hours' })).getByText(
        '22:00–07:00 (Asia/Shanghai)',
      ),
    ).toBeInTheDocument();
    expect(
      within(screen.getByRole('region', { name: 'Team lead' })).getByText(
        'Priya Raman',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Escalation' })).toHaveTextContent(
      '30 min',
    );
    // No inputs, disabled or not, and no save.
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    expect(screen.queryByRole('checkbox')).not.toBeInTheDocument();
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Save settings|Add channel|Edit/ }),
    ).not.toBeInTheDocument();
    await waitFor(() => expect(api.getTeamSettings).toHaveBeenCalledTimes(1));
    expect(api.updateTeamSettings).not.toHaveBeenCalled();
  });
});
