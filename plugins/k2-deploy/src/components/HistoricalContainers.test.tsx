import { screen, within } from '@testing-library/react';
import {
  historicalContainer,
  minutesAgo,
  SERVICE,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { HistoricalContainers } from './HistoricalContainers';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

const oomKilled = historicalContainer({
  id: 'hc-2',
  pod: 'payment-gateway-7d9c5b6f4-x2x8k',
  run: 0,
  release: 7,
  image: 'registry.northwind.internal/payments/gateway:1.4.2',
  end: 'oom-killed',
  exitCode: 137,
  message: 'OOMKilled (exit 137)',
  endedAt: minutesAgo(12),
  events: [
    {
      namespace: 'payments-core',
      object: 'Pod/payment-gateway-7d9c5b6f4-x2x8k',
      reason: 'OOMKilling',
      message: 'Memory cgroup out of memory: Killed process 1 (java)',
      count: 1,
      lastSeen: minutesAgo(12),
    },
  ],
});

describe('HistoricalContainers', () => {
  it('lists ended containers with how they ended, and their last events on click', async () => {
    const api = createK2DeployApi();
    api.getInstanceHistory.mockResolvedValue({
      items: [oomKilled, historicalContainer()],
    });
    renderWithApi(
      <HistoricalContainers service={SERVICE} environment="test" />,
      api,
    );
    const user = setupUser();

    const table = within(
      await screen.findByRole('table', { name: 'Historical containers' }),
    );
    const row = table.getByRole('row', {
      name: /^payment-gateway-7d9c5b6f4-x2x8k/,
    });
    expect(row).toHaveTextContent('OOMKilled (exit 137)');
    expect(row).toHaveTextContent('#7');
    expect(
      table.getByRole('row', { name: /^payment-gateway-6c8f7d9b5-q7w2e/ }),
    ).toHaveTextContent('Replaced by release #7');
    expect(api.getInstanceHistory).toHaveBeenCalledWith(SERVICE, {
      environment: 'test',
      cluster: undefined,
      limit: 25,
    });

    await user.click(row);
    expect(
      screen.getByRole('table', {
        name: 'Last events of payment-gateway-7d9c5b6f4-x2x8k',
      }),
    ).toHaveTextContent('Memory cgroup out of memory: Killed process 1 (java)');
  });

  it('says what will appear when no container has ended yet', async () => {
    const api = createK2DeployApi();
    api.getInstanceHistory.mockResolvedValue({ items: [] });
    renderWithApi(<HistoricalContainers service={SERVICE} />, api);

    expect(
      await screen.findByText(/No container has ended yet/),
    ).toBeInTheDocument();
  });
});
