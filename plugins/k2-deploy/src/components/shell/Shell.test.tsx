import { screen, waitFor, within } from '@testing-library/react';
import {
  containerStatus,
  pod,
  POD_NAME,
  SERVICE,
  TEST_INSTANCE,
} from '../../__testUtils__/fixtures';
import {
  createK2DeployApi,
  refusal,
} from '../../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../../__testUtils__/render';
import { FakeWebSocket, installTerminalShims } from '../../__testUtils__/shell';
import { InstancePanel } from '../InstancePanel';
import { LiveInstance } from '../InstancesSection';

// Rendering MUI (and xterm.js) in jsdom is slow on a shared machine.
jest.setTimeout(30_000);

installTerminalShims();
beforeEach(() => FakeWebSocket.install());
afterEach(() => FakeWebSocket.uninstall());

/** payment-gateway running next to an Envoy sidecar that keeps crashing. */
const instance: LiveInstance = {
  environment: 'test',
  environmentTitle: 'Test',
  cluster: 'test',
  pod: pod({
    containers: { ready: 1, total: 2 },
    containerStatuses: [
      containerStatus(),
      containerStatus({
        name: 'envoy',
        image: 'envoyproxy/envoy:v1.31.2',
        ready: false,
        state: 'waiting',
        reason: 'CrashLoopBackOff',
        restarts: 7,
      }),
    ],
  }),
};

function renderPanel(
  api = createK2DeployApi(),
  address = TEST_INSTANCE,
  live = instance,
) {
  renderWithApi(
    <InstancePanel
      service={SERVICE}
      address={address}
      instance={live}
      canManage
      onChange={jest.fn()}
    />,
    api,
  );
  const panel = within(
    screen.getByRole('region', { name: `Instance ${address.pod}` }),
  );
  return { api, panel, user: setupUser() };
}

const SOCKET_URL =
  'ws://localhost:7007/api/k2-deploy/shell-sessions/6f1c2a4e-0000-4000-8000-000000000001/stream';

/** Opens a shell into payment-gateway; answers the dialog and the page's socket. */
async function openShell(api = createK2DeployApi()) {
  const { panel, user } = renderPanel(api);
  await user.click(
    await panel.findByRole('button', {
      name: 'Open a shell in payment-gateway',
    }),
  );
  const dialog = within(
    screen.getByRole('dialog', {
      name: `Shell in ${POD_NAME} / payment-gateway`,
    }),
  );
  const terminal = await dialog.findByRole('group', {
    name: 'Terminal of payment-gateway',
  });
  await waitFor(() => expect(FakeWebSocket.sockets).toHaveLength(1));
  return { api, user, dialog, terminal, socket: FakeWebSocket.last() };
}

describe('web shell', () => {
  it('has no Shell or Debug button where the policy does not allow them', async () => {
    const api = createK2DeployApi();
    api.getShellPolicy.mockResolvedValue({
      shell: {
        allowed: false,
        reason: 'Only the service’s owners may open a shell',
      },
      debug: {
        allowed: false,
        reason: 'Only the service’s owners may open a shell',
      },
      debugImages: [],
      idleTimeoutSeconds: 900,
      maxDurationSeconds: 7200,
    });
    const { panel } = renderPanel(api);

    await waitFor(() =>
      expect(api.getShellPolicy).toHaveBeenCalledWith(SERVICE, 'test'),
    );
    // The rest of the panel is there; the terminal column and its buttons are not.
    const containers = panel.getByRole('table', { name: 'Containers' });
    expect(containers).toHaveTextContent('CrashLoopBackOff');
    expect(containers).not.toHaveTextContent('Terminal');
    expect(
      panel.queryByRole('button', { name: /shell|debug/i }),
    ).not.toBeInTheDocument();
  });

  it('offers a shell into a running container only, and Debug… for each', async () => {
    const { panel } = renderPanel();

    expect(
      await panel.findByRole('button', {
        name: 'Open a shell in payment-gateway',
      }),
    ).toBeEnabled();
    expect(
      panel.getByRole('button', { name: 'Open a shell in envoy' }),
    ).toBeDisabled();
    expect(
      panel.getByRole('button', {
        name: 'Start a debug container for envoy',
      }),
    ).toBeEnabled();
  });

  it('opens the socket with the shell subprotocol and the ticket, and shows where and for how long', async () => {
    const { api, dialog, socket } = await openShell();

    expect(api.openShell).toHaveBeenCalledWith(SERVICE, TEST_INSTANCE, {
      container: 'payment-gateway',
      cols: expect.any(Number),
      rows: expect.any(Number),
    });
    expect(socket.url).toBe(SOCKET_URL);
    expect(socket.protocols).toEqual(['k2-shell.v1', 'k2-ticket.tkt-shell']);
    expect(socket.url).not.toContain('tkt-shell');
    expect(dialog.getByRole('status')).toHaveTextContent('Connecting…');
    expect(
      dialog.getByText(
        `Test · cluster test · pod ${POD_NAME} · container payment-gateway`,
      ),
    ).toBeInTheDocument();
    expect(
      dialog.getByText(
        'Ends after 15 minutes without input, and at most 2 hours after it opens. Closing this window ends it.',
      ),
    ).toBeInTheDocument();
  });

  it('shows what the shell prints and sends what is typed and the terminal size', async () => {
    const { user, dialog, terminal, socket } = await openShell();

    socket.open();
    expect(dialog.getByRole('status')).toHaveTextContent('Connected');
    expect(socket.sent[0]).toEqual({
      t: 'r',
      cols: expect.any(Number),
      rows: expect.any(Number),
    });

    socket.receive({ t: 'o', d: '$ ' });
    await user.type(
      within(terminal).getByRole('textbox', { name: 'Terminal input' }),
      'ls{Enter}',
    );
    expect(socket.sent.filter(f => f.t === 'i').map(f => f.d)).toEqual([
      'l',
      's',
      '\r',
    ]);
    socket.receive({ t: 'o', d: 'ls\r\napp.jar  config  logs\r\n$ ' });
    await waitFor(() =>
      expect(terminal).toHaveTextContent('app.jar config logs'),
    );
  });

  it('says why the session ended, in words and with the server’s message', async () => {
    const { dialog, socket } = await openShell();
    socket.open();

    socket.receive({
      t: 'end',
      reason: 'idle',
      message: 'Closed after 15 minutes without input.',
    });
    socket.serverClose(1000);

    expect(dialog.getByRole('status')).toHaveTextContent(
      'Closed after too long without input. Closed after 15 minutes without input.',
    );
  });

  it('says the connection was lost when the socket closes without an end', async () => {
    const { dialog, socket } = await openShell();
    socket.open();

    socket.serverClose(1006);

    expect(dialog.getByRole('status')).toHaveTextContent(
      'Connection lost. Close this window and open a new shell.',
    );
  });

  it('shows a refused shell with the server’s reason, and opens no socket', async () => {
    const api = createK2DeployApi();
    api.openShell.mockRejectedValue(
      refusal(
        'payment-gateway runs as root; shells in Test run as non-root only. Start a debug container instead.',
        'ConflictError',
        409,
      ),
    );
    const { panel, user } = renderPanel(api);
    await user.click(
      await panel.findByRole('button', {
        name: 'Open a shell in payment-gateway',
      }),
    );

    const dialog = within(screen.getByRole('dialog'));
    await waitFor(() =>
      expect(dialog.getByRole('status')).toHaveTextContent(
        'The shell did not open: payment-gateway runs as root; shells in Test run as non-root only.',
      ),
    );
    expect(FakeWebSocket.sockets).toHaveLength(0);
  });

  it('closing the window closes the socket, asking nothing', async () => {
    const { user, dialog, socket } = await openShell();
    socket.open();

    await user.click(dialog.getByRole('button', { name: 'Close' }));

    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(socket.closedWith).toBe(1000);
  });

  it('offers a debug container when the container has no shell', async () => {
    const { user, dialog, socket } = await openShell();
    socket.open();
    socket.receive({
      t: 'end',
      reason: 'no-shell',
      message:
        'payment-gateway has no shell (/bin/sh not found). Start a debug container instead.',
    });

    await user.click(
      dialog.getByRole('button', { name: 'Start a debug container' }),
    );

    expect(
      screen.getByRole('dialog', {
        name: `Start a debug container in ${POD_NAME}?`,
      }),
    ).toBeInTheDocument();
    expect(socket.closedWith).toBe(1000);
  });
});

describe('debug containers', () => {
  it('lists the approved images, starts the chosen one beside the target and opens its terminal', async () => {
    const { api, panel, user } = renderPanel();
    await user.click(
      await panel.findByRole('button', {
        name: 'Start a debug container for envoy',
      }),
    );
    const dialog = within(
      screen.getByRole('dialog', {
        name: `Start a debug container in ${POD_NAME}?`,
      }),
    );
    expect(dialog.getByText('BusyBox shell and tools')).toBeInTheDocument();
    expect(
      dialog.getByRole('button', { name: /^Target container/ }),
    ).toHaveTextContent('envoy');

    await user.click(dialog.getByRole('button', { name: /^Image/ }));
    const images = screen.getByRole('listbox');
    expect(
      within(images)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['busybox (busybox:1.36)', 'netshoot (nicolaka/netshoot:v0.13)']);
    await user.click(within(images).getByRole('option', { name: /^netshoot/ }));
    await user.click(
      dialog.getByRole('button', { name: 'Start debug container' }),
    );

    await waitFor(() =>
      expect(api.startDebugContainer).toHaveBeenCalledWith(
        SERVICE,
        TEST_INSTANCE,
        { image: 'netshoot', target: 'envoy' },
      ),
    );
    const terminal = await screen.findByRole('dialog', {
      name: `Debug container k2-debug-x7k2p in ${POD_NAME}`,
    });
    await waitFor(() => expect(FakeWebSocket.sockets).toHaveLength(1));
    const socket = FakeWebSocket.last();
    expect(socket.protocols).toEqual(['k2-shell.v1', 'k2-ticket.tkt-debug']);
    socket.open();
    socket.receive({ t: 'o', d: '/ $ ' });
    await waitFor(() =>
      expect(
        within(terminal).getByRole('group', {
          name: 'Terminal of k2-debug-x7k2p',
        }),
      ).toHaveTextContent('/ $'),
    );
  });

  it('keeps the dialog open with the server’s reason when the container does not start', async () => {
    const api = createK2DeployApi();
    api.startDebugContainer.mockRejectedValue(
      refusal(
        'k2-debug-q8d2m did not start within 60 s: ErrImagePull',
        'ServiceUnavailableError',
        504,
      ),
    );
    const { panel, user } = renderPanel(api);
    await user.click(
      await panel.findByRole('button', {
        name: 'Start a debug container for payment-gateway',
      }),
    );
    const dialog = within(screen.getByRole('dialog'));
    await user.click(
      dialog.getByRole('button', { name: 'Start debug container' }),
    );

    expect(await dialog.findByRole('alert')).toHaveTextContent(
      'k2-debug-q8d2m did not start within 60 s: ErrImagePull',
    );
    expect(FakeWebSocket.sockets).toHaveLength(0);
  });
});
