import { act, screen, waitFor } from '@testing-library/react';
import { SERVICE, TEST_INSTANCE } from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { LogViewer } from './LogViewer';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

function renderViewer(api: ReturnType<typeof createK2DeployApi>) {
  renderWithApi(
    <LogViewer
      service={SERVICE}
      instance={TEST_INSTANCE}
      containers={[{ name: 'payment-gateway', hasPrevious: true }]}
    />,
    api,
  );
  return setupUser();
}

describe('LogViewer', () => {
  it('follows a log live, line by line, and stops when unticked', async () => {
    const api = createK2DeployApi();
    // A followed log stays open until the viewer aborts it.
    let push: (text: string) => void = () => {};
    let followSignal: AbortSignal | undefined;
    api.readLogs.mockImplementation(
      (_s, _i, query, onText, signal) =>
        new Promise<void>(resolve => {
          if (!query.follow) {
            onText('INFO  started\n');
            resolve();
            return;
          }
          push = onText;
          followSignal = signal;
          signal.addEventListener('abort', () => resolve());
        }),
    );
    const user = renderViewer(api);
    const output = screen.getByLabelText('Log output');
    await waitFor(() => expect(output).toHaveTextContent('INFO started'));

    const follow = screen.getByRole('checkbox', { name: 'Follow' });
    await user.click(follow);
    await waitFor(() =>
      expect(api.readLogs).toHaveBeenLastCalledWith(
        SERVICE,
        TEST_INSTANCE,
        expect.objectContaining({ follow: true, previous: false }),
        expect.any(Function),
        expect.any(AbortSignal),
      ),
    );
    // Following and the previous run exclude each other.
    expect(
      screen.getByRole('checkbox', { name: 'Previous container' }),
    ).toBeDisabled();

    act(() => push('INFO  refund 8812 '));
    expect(output).not.toHaveTextContent('refund 8812');
    act(() => push('done\nINFO  refund 8813 done\n'));
    expect(output).toHaveTextContent('refund 8812 done');
    expect(output).toHaveTextContent('refund 8813 done');
    expect(screen.getByText('Following · 2 lines')).toBeInTheDocument();

    await user.click(follow);
    expect(followSignal?.aborted).toBe(true);
  });

  it('downloads the whole log of the chosen run', async () => {
    const api = createK2DeployApi();
    const user = renderViewer(api);

    await user.click(
      screen.getByRole('checkbox', { name: 'Previous container' }),
    );
    await user.click(screen.getByRole('button', { name: 'Download' }));

    expect(api.downloadLogs).toHaveBeenCalledWith(SERVICE, TEST_INSTANCE, {
      container: 'payment-gateway',
      previous: true,
    });
  });
});
