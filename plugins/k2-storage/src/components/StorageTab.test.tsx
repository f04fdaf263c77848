import { act, screen, waitFor, within } from '@testing-library/react';
import { SignalApi } from '@backstage/plugin-signals-react';
import { K2StorageSignal } from '@internal/plugin-k2-storage-common';
import { createK2StorageApi } from '../__testUtils__/mockK2StorageApi';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { renderStorageTab } from '../__testUtils__/render';

jest.setTimeout(30_000);

const volumesOf = (environment = 'Test') =>
  screen.findByRole('table', { name: `Volumes in ${environment}` });

describe('StorageTab', () => {
  it('lists the volumes with class, size, used bytes, status per cluster and the releases mounting them', async () => {
    renderStorageTab(createK2StorageApi());
    const table = await volumesOf();
    const data = within(table).getByRole('row', { name: /^data/ });
    expect(data).toHaveTextContent('nfs');
    expect(data).toHaveTextContent('ReadWriteMany');
    expect(data).toHaveTextContent('5Gi');
    expect(data).toHaveTextContent('1.5 GiB of 5 GiB');
    expect(data).toHaveTextContent('test-a Bound');
    expect(
      within(data).getByRole('progressbar', { name: '1.5 GiB of 5 GiB' }),
    ).toHaveAttribute('aria-valuenow', '30');
    // The running release first, each a link to the environment's history.
    const links = within(data).getAllByRole('link');
    expect(links.map(l => l.textContent)).toEqual([
      'release #7 (running)',
      'release #6 (kept for rollback)',
    ]);
    expect(links[0]).toHaveAttribute(
      'href',
      expect.stringContaining('/deploy/history?environment=test'),
    );

    const scratch = within(table).getByRole('row', { name: /^scratch/ });
    expect(scratch).toHaveTextContent('not mounted');
    expect(scratch).toHaveTextContent('test-b Pending');
    expect(scratch).toHaveTextContent(
      'ProvisioningFailed: failed to provision volume with StorageClass "standard": no space left on node',
    );
    expect(scratch).toHaveTextContent('No release');
  });

  it('creates a volume: the class decides the access modes, and the preview names the PVC and clusters', async () => {
    const api = createK2StorageApi();
    const user = setupUser();
    renderStorageTab(api);
    await volumesOf();
    await user.click(screen.getByRole('button', { name: 'New volume' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'New volume in Test',
    });
    const create = within(dialog).getByRole('button', { name: 'Create' });
    expect(create).toBeDisabled();

    await user.type(within(dialog).getByLabelText('Name'), 'Logs');
    expect(dialog).toHaveTextContent('Use lowercase letters');
    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'logs');

    // A block class offers ReadWriteOnce only.
    await user.click(within(dialog).getByLabelText('Storage class'));
    await user.click(
      await screen.findByRole('option', { name: /Ceph RBD \(ceph-rbd\)/ }),
    );
    await user.click(within(dialog).getByLabelText('Access mode'));
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(['ReadWriteOnce (one node reads and writes)']);
    await user.keyboard('{Escape}');

    await user.click(within(dialog).getByLabelText('Storage class'));
    await user.click(
      await screen.findByRole('option', {
        name: /^NFS \(nfs\) · NFS · can expand/,
      }),
    );
    await user.click(within(dialog).getByLabelText('Access mode'));
    await user.click(
      await screen.findByRole('option', { name: /^ReadWriteMany/ }),
    );
    const size = within(dialog).getByLabelText('Size');
    await user.clear(size);
    await user.type(size, '5000');
    await user.click(within(dialog).getByLabelText('Unit'));
    await user.click(await screen.findByRole('option', { name: 'Ti' }));
    expect(create).toBeDisabled();
    await user.click(within(dialog).getByLabelText('Unit'));
    await user.click(await screen.findByRole('option', { name: 'Gi' }));
    await user.clear(size);
    await user.type(size, '5');
    expect(dialog).toHaveTextContent(
      /Creates PVC payment-gateway-\d+-logs in namespace default of test-a, test-b/,
    );

    await user.click(create);
    await waitFor(() =>
      expect(api.createVolume).toHaveBeenCalledWith(
        expect.objectContaining({ name: expect.any(String) }),
        'test',
        {
          name: 'logs',
          storageClass: 'nfs',
          size: '5Gi',
          accessMode: 'ReadWriteMany',
        },
      ),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const row = within(await volumesOf()).getByRole('row', { name: /^logs/ });
    expect(row).toHaveTextContent('test-a Pending');
  });

  it('expands a volume and shows it expanding; a class without expansion disables Expand with the reason', async () => {
    const api = createK2StorageApi();
    const user = setupUser();
    renderStorageTab(api);
    const table = await volumesOf();
    const scratch = within(table).getByRole('row', { name: /^scratch/ });
    const refused = within(scratch).getByRole('button', {
      name: 'Expand scratch',
    });
    expect(refused).toBeDisabled();
    await user.hover(refused.parentElement!);
    expect(
      await screen.findByText(
        'Its storage class standard does not allow volume expansion',
      ),
    ).toBeInTheDocument();

    await user.click(
      within(within(table).getByRole('row', { name: /^data/ })).getByRole(
        'button',
        { name: 'Expand data' },
      ),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Expand data in Test',
    });
    const size = within(dialog).getByLabelText('New size');
    await user.clear(size);
    await user.type(size, '4');
    expect(dialog).toHaveTextContent('Must be larger than 5Gi');
    expect(
      within(dialog).getByRole('button', { name: 'Expand' }),
    ).toBeDisabled();
    await user.clear(size);
    await user.type(size, '8');
    await user.click(within(dialog).getByRole('button', { name: 'Expand' }));
    await waitFor(() =>
      expect(api.expandVolume).toHaveBeenCalledWith(
        expect.anything(),
        'test',
        'data',
        '8Gi',
      ),
    );
    const row = within(await volumesOf()).getByRole('row', { name: /^data/ });
    await waitFor(() => expect(row).toHaveTextContent('expanding to 8Gi…'));
  });

  it('deletes after the name is typed, and shows the refusal when a release mounts the volume', async () => {
    const api = createK2StorageApi();
    const user = setupUser();
    renderStorageTab(api);
    const table = await volumesOf();
    await user.click(
      within(within(table).getByRole('row', { name: /^data/ })).getByRole(
        'button',
        { name: 'Delete data' },
      ),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete data in Test',
    });
    const confirm = within(dialog).getByRole('button', { name: 'Delete' });
    expect(confirm).toBeDisabled();
    await user.type(
      within(dialog).getByLabelText('Type data to confirm'),
      'data',
    );
    await user.click(confirm);
    expect(
      await within(dialog).findByText(
        "Volume 'data' is mounted by release #7 in test; release without it first",
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    await user.click(
      within(within(table).getByRole('row', { name: /^scratch/ })).getByRole(
        'button',
        { name: 'Delete scratch' },
      ),
    );
    const second = await screen.findByRole('dialog', {
      name: 'Delete scratch in Test',
    });
    await user.type(
      within(second).getByLabelText('Type scratch to confirm'),
      'scratch',
    );
    await user.click(within(second).getByRole('button', { name: 'Delete' }));
    await waitFor(() =>
      expect(
        within(table).queryByRole('row', { name: /^scratch/ }),
      ).not.toBeInTheDocument(),
    );
  });

  it('disables every change with the reason for someone who is not an owner', async () => {
    const user = setupUser();
    renderStorageTab(createK2StorageApi(), { allow: false });
    const table = await volumesOf();
    const create = screen.getByRole('button', { name: 'New volume' });
    expect(create).toBeDisabled();
    expect(
      within(table).getByRole('button', { name: 'Delete data' }),
    ).toBeDisabled();
    expect(
      within(table).getByRole('button', { name: 'Expand data' }),
    ).toBeDisabled();
    await user.hover(create.parentElement!);
    expect(
      await screen.findByText(
        'Only the service’s owners (and platform admins) may create, expand or delete its volumes',
      ),
    ).toBeInTheDocument();
  });

  it('shows the empty state with the next step, and no class offered disables New volume', async () => {
    renderStorageTab(createK2StorageApi(), {
      path: '/storage?environment=prod',
    });
    expect(
      await screen.findByText(/No volumes in Production yet/),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'New volume' })).toBeDisabled(),
    );
  });

  it('shows the error when the volumes cannot be read', async () => {
    const api = createK2StorageApi();
    api.getVolumes.mockRejectedValue(new Error('The Storage API is down'));
    renderStorageTab(api);
    expect(
      (await screen.findAllByText(/The Storage API is down/)).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('refetches when the backend announces a change to the service’s volumes in this environment', async () => {
    type Listener = Parameters<SignalApi['subscribe']>[1];
    const listeners = new Map<string, Listener>();
    const signals: SignalApi = {
      subscribe(channel, onMessage) {
        listeners.set(channel, onMessage as Listener);
        return { unsubscribe: () => listeners.delete(channel) };
      },
    };
    const api = createK2StorageApi();
    renderStorageTab(api, { signals });
    const table = await volumesOf();
    const [channel] = [...listeners.keys()];
    expect(channel).toMatch(
      /^k2-storage:component:default\/payment-gateway-\d+$/,
    );
    // Someone else creates a volume; the table shows it only once announced.
    await api.createVolume({ namespace: 'default', name: 'x' }, 'test', {
      name: 'cache',
      storageClass: 'nfs',
      size: '2Gi',
      accessMode: 'ReadWriteOnce',
    });
    const send = (message: K2StorageSignal) =>
      act(() => listeners.get(channel)!(message));
    const loads = api.getVolumes.mock.calls.length;
    send({ environment: 'prod' });
    expect(api.getVolumes).toHaveBeenCalledTimes(loads);
    send({ environment: 'test' });
    expect(
      await within(table).findByRole('row', { name: /^cache/ }),
    ).toBeInTheDocument();
  });
});
