import { screen, waitFor, within } from '@testing-library/react';
import { K2ConvergedEvent } from '@internal/plugin-k2-common';
import { minutesAgo, POD_NAME, SERVICE } from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { EventsTable } from './EventsTable';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const backOff: K2ConvergedEvent = {
  cluster: 'prod-b',
  namespace: 'payments-core',
  object: `Pod/${POD_NAME}`,
  type: 'Warning',
  reason: 'BackOff',
  message: 'Back-off restarting failed container payment-gateway',
  count: 14,
  firstSeen: minutesAgo(50),
  lastSeen: minutesAgo(2),
};
const scheduled: K2ConvergedEvent = {
  ...backOff,
  type: 'Normal',
  reason: 'Scheduled',
  message: `Successfully assigned payments-core/${POD_NAME} to prod-b-node-3`,
  count: 1,
};

describe('EventsTable', () => {
  it('shows the service’s warnings, converged, and all events on request', async () => {
    const api = createK2DeployApi();
    api.getEvents.mockImplementation(async (_s, options) => ({
      items: options.warningsOnly ? [backOff] : [backOff, scheduled],
    }));
    renderWithApi(
      <EventsTable
        service={SERVICE}
        environment="prod"
        label="Service events"
      />,
      api,
    );
    const user = setupUser();

    const table = await screen.findByRole('table', { name: 'Service events' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(1);
    expect(
      within(rows[0])
        .getAllByRole('cell')
        .map(cell => cell.textContent),
    ).toEqual([
      'Warning',
      `Pod/${POD_NAME}`,
      'prod-b',
      'BackOff',
      'Back-off restarting failed container payment-gateway',
      '14',
      '50 minutes ago',
      '2 minutes ago',
    ]);
    expect(api.getEvents).toHaveBeenCalledWith(SERVICE, {
      environment: 'prod',
      cluster: undefined,
      pod: undefined,
      warningsOnly: true,
    });

    await user.click(screen.getByRole('checkbox', { name: 'Warnings only' }));
    // The table is loaded anew for the other filter.
    await waitFor(() =>
      expect(
        within(
          screen.getByRole('table', { name: 'Service events' }),
        ).getAllByRole('row'),
      ).toHaveLength(3),
    );
    expect(
      screen.getByRole('table', { name: 'Service events' }),
    ).toHaveTextContent('Successfully assigned');
  });

  it('says when the clusters kept no warnings', async () => {
    renderWithApi(
      <EventsTable service={SERVICE} label="Service events" />,
      createK2DeployApi(),
    );
    expect(
      await screen.findByText("No warnings in the clusters' event retention."),
    ).toBeInTheDocument();
  });
});
