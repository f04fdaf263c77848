import { screen, waitFor, within } from '@testing-library/react';
import { minutesAgo, POD_NAME } from '../../__testUtils__/fixtures';
import {
  createK2DeployApi,
  refusal,
} from '../../__testUtils__/mockK2DeployApi';
import { renderDeployTab, setupUser } from '../../__testUtils__/render';

// Rendering the Deploy tab in jsdom is slow on a shared machine.
jest.setTimeout(30_000);

describe('shell sessions (Activity)', () => {
  const session = (id: string, overrides = {}) => ({
    id,
    service: 'component:default/payment-gateway',
    environment: 'test',
    cluster: 'test',
    namespace: 'payments-core',
    pod: POD_NAME,
    container: 'payment-gateway',
    kind: 'shell' as const,
    user: 'user:default/alice',
    createdAt: minutesAgo(30),
    startedAt: minutesAgo(30),
    endedAt: minutesAgo(25),
    endReason: 'exit' as const,
    commands: [
      { at: minutesAgo(29), line: 'ls' },
      { at: minutesAgo(28), line: 'env' },
      { at: minutesAgo(27), line: 'exit' },
    ],
    ...overrides,
  });

  it('lists who opened which shell, when and why it ended, with the commands typed, a page at a time', async () => {
    const api = createK2DeployApi();
    api.listShellSessions.mockImplementation(async query =>
      query.before
        ? {
            items: [
              session('s3', {
                kind: 'debug',
                image: 'busybox:1.36',
                container: 'k2-debug-x7k2p',
                endReason: 'pod-gone',
                commands: [],
              }),
            ],
          }
        : { items: [session('s1')], next: 'cursor-1' },
    );
    const { service } = renderDeployTab(api, { path: '/deploy/activity' });
    const user = setupUser();

    const table = await screen.findByRole('table', { name: 'Shell sessions' });
    expect(api.listShellSessions).toHaveBeenCalledWith({
      service: `component:default/${service.name}`,
      limit: 20,
    });
    const row = within(table).getAllByRole('row')[1];
    expect(row).toHaveTextContent(`${POD_NAME} / payment-gateway`);
    expect(row).toHaveTextContent('Shell');
    expect(row).toHaveTextContent('The shell exited.');

    await user.click(within(row).getByRole('button', { name: '3 commands' }));
    const commands = within(table).getByRole('list', {
      name: `Commands typed in ${POD_NAME} / payment-gateway`,
    });
    expect(
      within(commands)
        .getAllByRole('listitem')
        .map(li => li.textContent?.replace(/^.* ago /, '')),
    ).toEqual(['ls', 'env', 'exit']);

    await user.click(screen.getByRole('button', { name: 'Older sessions' }));
    await waitFor(() =>
      expect(within(table).getAllByRole('row')).toHaveLength(4),
    );
    expect(api.listShellSessions).toHaveBeenLastCalledWith({
      service: `component:default/${service.name}`,
      limit: 20,
      before: 'cursor-1',
    });
    const debug = within(table).getAllByRole('row')[3];
    expect(debug).toHaveTextContent('Debug (busybox:1.36)');
    expect(debug).toHaveTextContent('The pod is gone.');
    expect(
      screen.queryByRole('button', { name: 'Older sessions' }),
    ).not.toBeInTheDocument();
  });

  it('is not shown when the server refuses after all', async () => {
    const api = createK2DeployApi();
    api.listShellSessions.mockRejectedValue(
      refusal('Only platform admins read shell sessions', 'NotAllowedError'),
    );
    renderDeployTab(api, { path: '/deploy/activity' });

    await waitFor(() => expect(api.listShellSessions).toHaveBeenCalled());
    expect(
      await screen.findByText('No releases, scaling or restarts yet.'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Shell sessions')).not.toBeInTheDocument();
  });
});
