import { screen } from '@testing-library/react';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { renderTeamSettings } from '../../__testUtils__/renderTeamSettings';

jest.setTimeout(30_000);

// Apart from the other tests: usePermission keeps its decisions for the whole file.
describe('Team alert settings for a platform admin outside the team', () => {
  it('lets a platform admin edit another team’s settings', async () => {
    renderTeamSettings(createK2AlertsApi(), {
      groups: ['group:default/platform-team'],
      admin: true,
    });
    await screen.findByRole('table', { name: 'Channels' });
    expect(
      await screen.findByRole('button', { name: 'Add channel' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('checkbox', { name: 'Channel dingtalk enabled' }),
    ).toBeChecked();
    expect(
      screen.queryByText(/You can read these settings/),
    ).not.toBeInTheDocument();
  });
});
