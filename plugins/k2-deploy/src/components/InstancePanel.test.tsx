import { screen, waitFor, within } from '@testing-library/react';
import {
  containerStatus,
  IMAGE_REPOSITORY,
  minutesAgo,
  pod,
  POD_NAME,
  SERVICE,
  TEST_INSTANCE,
} from '../__testUtils__/fixtures';
import { createK2DeployApi } from '../__testUtils__/mockK2DeployApi';
import { renderWithApi, setupUser } from '../__testUtils__/render';
import { InstancePanel } from './InstancePanel';
import { LiveInstance } from './InstancesSection';

// Rendering MUI in jsdom is slow on a shared machine; 5 s is too tight.
jest.setTimeout(20_000);

/** An instance whose app container was OOM-killed once, next to an Envoy sidecar. */
const oomKilled: LiveInstance = {
  environment: 'test',
  environmentTitle: 'Test',
  cluster: 'test',
  pod: pod({
    restarts: 1,
    containers: { ready: 2, total: 2 },
    containerStatuses: [
      containerStatus({
        restarts: 1,
        lastTermination: {
          reason: 'OOMKilled',
          exitCode: 137,
          finishedAt: minutesAgo(12),
        },
      }),
      containerStatus({
        name: 'envoy',
        image: 'envoyproxy/envoy:v1.31.2',
      }),
    ],
  }),
};

async function renderPanel(
  api = createK2DeployApi(),
  props: Partial<Parameters<typeof InstancePanel>[0]> = {},
) {
  const onChange = jest.fn();
  renderWithApi(
    <InstancePanel
      service={SERVICE}
      address={TEST_INSTANCE}
      instance={oomKilled}
      canManage
      onChange={onChange}
      {...props}
    />,
    api,
  );
  const panel = within(
    screen.getByRole('region', { name: `Instance ${POD_NAME}` }),
  );
  if (props.instance !== undefined || !('instance' in props)) {
    // Loaded once the environment's shell policy is in: an owner in test gets the
    // Terminal column.
    await panel.findByRole('columnheader', { name: 'Terminal' });
  }
  return { api, panel, onChange, user: setupUser() };
}

describe('InstancePanel', () => {
  it('has tabs for containers, logs, events and usage', async () => {
    const { panel } = await renderPanel();
    expect(panel.getAllByRole('tab').map(tab => tab.textContent)).toEqual([
      'Containers',
      'Logs',
      'Events',
      'Usage',
    ]);
    expect(panel.getByRole('tab', { name: 'Containers' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
  });

  it('shows how each container last ended: OOMKilled (exit 137)', async () => {
    const { panel } = await renderPanel();
    const containers = within(panel.getByRole('table', { name: 'Containers' }));

    const app = containers.getByRole('row', { name: /^payment-gateway / });
    expect(app).toHaveTextContent(`${IMAGE_REPOSITORY}:1.4.2`);
    expect(app).toHaveTextContent('OOMKilled (exit 137) 12 minutes ago');
    const envoy = containers.getByRole('row', { name: /^envoy / });
    expect(within(envoy).getAllByRole('cell')[5]).toHaveTextContent('—');
  });

  it('reads the chosen container’s log and shows it', async () => {
    const api = createK2DeployApi();
    api.readLogs.mockImplementation(async (_s, _i, query, onText) => {
      onText(
        query.container === 'envoy'
          ? '[info] envoy proxy ready on 15001\n'
          : 'Started PaymentGatewayApplication in 4.2 seconds\n',
      );
    });
    const { panel, user } = await renderPanel(api);

    await user.click(panel.getByRole('tab', { name: 'Logs' }));
    const output = panel.getByLabelText('Log output');
    await waitFor(() =>
      expect(output).toHaveTextContent(
        'Started PaymentGatewayApplication in 4.2 seconds',
      ),
    );
    expect(api.readLogs).toHaveBeenLastCalledWith(
      SERVICE,
      TEST_INSTANCE,
      {
        container: 'payment-gateway',
        previous: false,
        follow: false,
        tailLines: 500,
      },
      expect.any(Function),
      expect.any(AbortSignal),
    );

    await user.click(panel.getByRole('button', { name: /^Container/ }));
    await user.click(screen.getByRole('option', { name: 'envoy' }));

    await waitFor(() =>
      expect(output).toHaveTextContent('[info] envoy proxy ready on 15001'),
    );
    expect(output).not.toHaveTextContent('PaymentGatewayApplication');
    expect(api.readLogs).toHaveBeenLastCalledWith(
      SERVICE,
      TEST_INSTANCE,
      expect.objectContaining({ container: 'envoy' }),
      expect.any(Function),
      expect.any(AbortSignal),
    );
    // The previous run's log exists only for the container that ended.
    expect(
      panel.getByRole('checkbox', { name: 'Previous container' }),
    ).toBeDisabled();
  });

  it('reads the log of the run that was OOM-killed', async () => {
    const { api, panel, user } = await renderPanel();

    await user.click(panel.getByRole('tab', { name: 'Logs' }));
    await user.click(
      panel.getByRole('checkbox', { name: 'Previous container' }),
    );

    await waitFor(() =>
      expect(api.readLogs).toHaveBeenLastCalledWith(
        SERVICE,
        TEST_INSTANCE,
        expect.objectContaining({
          container: 'payment-gateway',
          previous: true,
        }),
        expect.any(Function),
        expect.any(AbortSignal),
      ),
    );
  });

  it('searches the loaded log and counts the matching lines', async () => {
    const api = createK2DeployApi();
    api.readLogs.mockImplementation(async (_s, _i, _q, onText) => {
      onText('INFO  started\nERROR card declined: 4000 0000 0000 0002\n');
      onText('INFO  refund 8812 done\nWARN  slow ledger (2.1 s)\n');
      onText('error while closing pool');
    });
    const { panel, user } = await renderPanel(api);

    await user.click(panel.getByRole('tab', { name: 'Logs' }));
    const output = panel.getByLabelText('Log output');
    await waitFor(() => expect(output).toHaveTextContent('slow ledger'));
    expect(panel.getByText(/^5 lines/)).toBeInTheDocument();

    await user.type(
      panel.getByRole('textbox', { name: 'Search in the loaded log' }),
      'error',
    );

    expect(panel.getByText('5 lines · 2 matching “error”')).toBeInTheDocument();
    expect(output.textContent).toBe(
      'ERROR card declined: 4000 0000 0000 0002\nerror while closing pool',
    );
  });

  it('shows a log the server refuses as an error', async () => {
    const api = createK2DeployApi();
    api.readLogs.mockRejectedValue(
      new Error('previous terminated container "envoy" not found'),
    );
    const { panel, user } = await renderPanel(api);

    await user.click(panel.getByRole('tab', { name: 'Logs' }));
    expect(await panel.findByRole('alert')).toHaveTextContent(
      'previous terminated container "envoy" not found',
    );
  });

  it('lists the instance’s own events', async () => {
    const api = createK2DeployApi();
    api.getEvents.mockResolvedValue({
      items: [
        {
          cluster: 'test',
          namespace: 'payments-core',
          object: `Pod/${POD_NAME}`,
          type: 'Warning',
          reason: 'OOMKilling',
          message: 'Memory cgroup out of memory: Killed process 1 (java)',
          count: 1,
          firstSeen: minutesAgo(12),
          lastSeen: minutesAgo(12),
        },
      ],
    });
    const { panel, user } = await renderPanel(api);

    await user.click(panel.getByRole('tab', { name: 'Events' }));
    const events = await panel.findByRole('table', {
      name: `Events of ${POD_NAME}`,
    });
    expect(events).toHaveTextContent(
      'Memory cgroup out of memory: Killed process 1 (java)',
    );
    expect(api.getEvents).toHaveBeenCalledWith(SERVICE, {
      environment: 'test',
      cluster: 'test',
      pod: POD_NAME,
      warningsOnly: false,
    });
  });

  it('shows CPU and memory use against the limits', async () => {
    const { panel, user } = await renderPanel();

    await user.click(panel.getByRole('tab', { name: 'Usage' }));
    const usage = await panel.findByRole('table', { name: 'Usage' });
    const row = within(usage).getByRole('row', { name: /^payment-gateway/ });
    expect(row).toHaveTextContent('180m of 1000m');
    expect(row).toHaveTextContent('420 MiB of 1 GiB');
  });

  describe('actions', () => {
    it('are open to an owner, and take the instance out of traffic after asking', async () => {
      const { api, panel, user, onChange } = await renderPanel();
      const actions = within(
        panel.getByRole('group', { name: `Actions on ${POD_NAME}` }),
      );
      for (const button of actions.getAllByRole('button')) {
        expect(button).toBeEnabled();
      }

      await user.click(
        actions.getByRole('button', { name: 'Take out of traffic' }),
      );
      const dialog = within(
        screen.getByRole('dialog', {
          name: `Take ${POD_NAME} out of traffic?`,
        }),
      );
      await user.click(
        dialog.getByRole('button', { name: 'Take out of traffic' }),
      );

      await waitFor(() =>
        expect(api.setTraffic).toHaveBeenCalledWith(
          SERVICE,
          TEST_INSTANCE,
          false,
        ),
      );
      await waitFor(() => expect(onChange).toHaveBeenCalled());
    });

    it('restart asks first; cancelling restarts nothing', async () => {
      const { api, panel, user } = await renderPanel();

      await user.click(panel.getByRole('button', { name: 'Restart instance' }));
      const dialog = within(
        screen.getByRole('dialog', { name: `Restart ${POD_NAME}?` }),
      );
      await user.click(dialog.getByRole('button', { name: 'Cancel' }));
      await waitFor(() =>
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
      );
      expect(api.restartInstance).not.toHaveBeenCalled();
    });

    it('destroy needs the instance name typed', async () => {
      const { api, panel, user } = await renderPanel();

      await user.click(panel.getByRole('button', { name: 'Destroy instance' }));
      const dialog = within(
        screen.getByRole('dialog', { name: `Destroy ${POD_NAME}?` }),
      );
      const destroy = dialog.getByRole('button', { name: 'Destroy' });
      const name = dialog.getByRole('textbox', { name: 'Instance name' });
      expect(destroy).toBeDisabled();

      await user.type(name, 'payment-gateway');
      expect(destroy).toBeDisabled();
      await user.click(destroy);
      expect(api.destroyInstance).not.toHaveBeenCalled();

      await user.clear(name);
      await user.click(name);
      await user.paste(POD_NAME);
      expect(destroy).toBeEnabled();
      await user.click(destroy);

      await waitFor(() =>
        expect(api.destroyInstance).toHaveBeenCalledWith(
          SERVICE,
          TEST_INSTANCE,
        ),
      );
    });

    it('offers to put an instance out of traffic back', async () => {
      const { panel } = await renderPanel(createK2DeployApi(), {
        instance: { ...oomKilled, pod: { ...oomKilled.pod, inTraffic: false } },
      });
      expect(
        panel.getByRole('button', { name: 'Put back into traffic' }),
      ).toBeEnabled();
      expect(panel.getByText(/^Out of traffic:/)).toBeInTheDocument();
    });
  });

  it('says so when the instance is gone, and offers no actions', async () => {
    const { panel } = await renderPanel(createK2DeployApi(), {
      instance: undefined,
    });
    expect(panel.getByRole('status')).toHaveTextContent(
      'This instance no longer exists',
    );
    expect(panel.queryByRole('tab')).not.toBeInTheDocument();
    expect(
      panel.queryByRole('button', { name: 'Destroy instance' }),
    ).not.toBeInTheDocument();
  });
});
