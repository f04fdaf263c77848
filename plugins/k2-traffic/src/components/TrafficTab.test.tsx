import { screen, waitFor, within } from '@testing-library/react';
import { K2ApiError } from '@internal/plugin-k2-common';
import { clusters } from '../__testUtils__/fixtures';
import { createK2TrafficApi } from '../__testUtils__/mockK2TrafficApi';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { renderTrafficTab } from '../__testUtils__/render';

jest.setTimeout(30_000);

describe('Traffic tab', () => {
  it('shows the published site, its members and what each Nginx host applied', async () => {
    renderTrafficTab(createK2TrafficApi());
    const test = within(
      await screen.findByRole('region', { name: 'Test environment' }),
    );
    await test.findByText('Version #2');
    expect(test.getByText('test domain, automatic')).toBeInTheDocument();
    expect(
      test.getByText(/payment-gateway-\d+\.test\.k2\.example\.com/),
    ).toBeInTheDocument();
    expect(test.getByText('Least connections')).toBeInTheDocument();
    const members = within(test.getByRole('table', { name: 'Members' }));
    const manual = members.getByText('10.20.0.8:8080').closest('tr')!;
    expect(
      within(manual as HTMLElement).getByText('Manual'),
    ).toBeInTheDocument();
    const pod = members.getByText('127.1.0.7:8080').closest('tr')!;
    expect(
      within(pod as HTMLElement).getByText('Pod in test'),
    ).toBeInTheDocument();
    expect(
      within(pod as HTMLElement).getByText(/-7d9f-abcde$/),
    ).toBeInTheDocument();
    const hosts = within(
      test.getByRole('table', { name: 'Nginx hosts of edge-test' }),
    );
    expect(hosts.getByText('In sync')).toBeInTheDocument();
    expect(hosts.getByText('Drift')).toBeInTheDocument();
    expect(hosts.getByText(/cannot load certificate/)).toBeInTheDocument();
    const prod = within(
      screen.getByRole('region', { name: 'Production environment' }),
    );
    expect(
      prod.getByText(/No Nginx cluster serves Production/),
    ).toBeInTheDocument();
  });

  it('publishes an added member after previewing it against the published version', async () => {
    const api = createK2TrafficApi();
    renderTrafficTab(api, { path: '/traffic/site?environment=test' });
    const user = setupUser();
    const members = within(
      await screen.findByRole('group', { name: 'Manual members of app' }),
    );
    await user.click(members.getByRole('button', { name: 'Add member' }));
    const addresses = members.getAllByRole('textbox', { name: 'Address' });
    await user.type(addresses[2], '10.20.0.9');
    const ports = members.getAllByRole('spinbutton', { name: 'Port' });
    await user.type(ports[2], '8081');
    await user.click(screen.getByRole('button', { name: 'Publish…' }));

    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Publish the site in Test?',
      }),
    );
    const preview = within(dialog.getByRole('table', { name: 'Site changes' }));
    expect(
      preview.getAllByText(/upstreams\[app\]\.members\[10\.20\.0\.9:8081\]/),
    ).not.toHaveLength(0);
    expect(dialog.getByRole('button', { name: 'Publish' })).toBeDisabled();
    await user.type(
      dialog.getByRole('textbox', { name: /Message/ }),
      'Add VM 10.20.0.9',
    );
    await user.click(dialog.getByRole('button', { name: 'Publish' }));

    await screen.findByText('Version #3 published.');
    const [, , input] = api.publish.mock.calls[0];
    expect(input.message).toBe('Add VM 10.20.0.9');
    expect(input.site.upstreams[0].members).toContainEqual({
      address: '10.20.0.9',
      port: 8081,
    });
  });

  it('shows a refusal that names a field on that field, and nginx -t refusals in the dialog', async () => {
    const api = createK2TrafficApi();
    api.publish.mockRejectedValueOnce(
      new K2ApiError(
        "site.upstreams[0].members[0].address: may not contain ';'",
        400,
      ),
    );
    renderTrafficTab(api, { path: '/traffic/site?environment=test' });
    const user = setupUser();
    await screen.findByRole('group', { name: 'Manual members of app' });
    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    let dialog = within(await screen.findByRole('dialog'));
    await user.type(dialog.getByRole('textbox', { name: /Message/ }), 'x');
    await user.click(dialog.getByRole('button', { name: 'Publish' }));

    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(
      screen.getByText('Not published: 1 field was refused. See below.'),
    ).toBeInTheDocument();
    const address = screen.getAllByRole('textbox', { name: 'Address' })[0];
    expect(address).toHaveAttribute('aria-invalid', 'true');
    expect(address).toHaveAccessibleDescription("may not contain ';'");

    api.publish.mockRejectedValueOnce(
      new K2ApiError(
        'nginx -t refused the config: host not found in upstream "nowhere.invalid"',
        400,
      ),
    );
    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    dialog = within(await screen.findByRole('dialog'));
    await user.click(dialog.getByRole('button', { name: 'Publish' }));
    expect(
      await dialog.findByText(/host not found in upstream/),
    ).toBeInTheDocument();
    expect(dialog.getByRole('textbox', { name: /Message/ })).toHaveValue('x');
  });

  it('says why a user who does not own the service cannot publish', async () => {
    renderTrafficTab(createK2TrafficApi(), {
      allow: false,
      path: '/traffic/site?environment=test',
    });
    const publish = await screen.findByRole('button', { name: 'Publish…' });
    expect(publish).toBeDisabled();
    expect(publish.parentElement).toHaveAttribute(
      'title',
      'Only the service’s owners (and platform admins) may publish its site',
    );
  });

  it('shows the change waiting for approval, and lets an approver approve it after confirming', async () => {
    const api = createK2TrafficApi();
    renderTrafficTab(api, {
      approve: true,
      path: '/traffic/versions?environment=prod',
    });
    const user = setupUser();
    const row = within(
      await screen.findByRole('row', {
        name: 'Change #7 waiting for approval',
      }),
    );
    expect(row.getByText('Waiting for approval')).toBeInTheDocument();
    expect(row.getByText('erin')).toBeInTheDocument();
    expect(row.getByText('Add the VM member')).toBeInTheDocument();
    expect(row.getByText('5 minutes ago')).toBeInTheDocument();
    // No rollback may be asked for while a change waits.
    const rollback = screen.getByRole('button', { name: 'Roll back to #1' });
    expect(rollback).toBeDisabled();
    expect(rollback.parentElement).toHaveAttribute(
      'title',
      'A change waits for approval here: have it approved or rejected, or withdraw it, first',
    );

    await user.click(row.getByRole('button', { name: 'Approve' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Approve change #7 to the Production site?',
      }),
    );
    expect(api.approve).not.toHaveBeenCalled();
    await user.click(dialog.getByRole('button', { name: 'Approve' }));
    expect(api.approve).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'prod',
      7,
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('row', { name: 'Change #7 waiting for approval' }),
      ).not.toBeInTheDocument(),
    );
    expect(
      await screen.findByRole('checkbox', { name: 'Select version #3' }),
    ).toBeInTheDocument();
  });

  it('rejects a waiting change with a reason', async () => {
    const api = createK2TrafficApi();
    renderTrafficTab(api, {
      approve: true,
      path: '/traffic/versions?environment=prod',
    });
    const user = setupUser();
    const row = within(
      await screen.findByRole('row', {
        name: 'Change #7 waiting for approval',
      }),
    );
    await user.click(row.getByRole('button', { name: 'Reject' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Reject change #7 to the Production site?',
      }),
    );
    await user.type(dialog.getByLabelText('Reason'), 'Not during the sale');
    await user.click(dialog.getByRole('button', { name: 'Reject' }));
    expect(api.reject).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'prod',
      7,
      { reason: 'Not during the sale' },
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('row', { name: 'Change #7 waiting for approval' }),
      ).not.toBeInTheDocument(),
    );
    expect(api.approve).not.toHaveBeenCalled();
  });

  it('says why someone who may not decide a waiting change cannot approve or reject it', async () => {
    const api = createK2TrafficApi();
    // usePermission caches answers per resource: a change no other test decides.
    const list = await api.getVersions(
      { namespace: 'default', name: 'payment-gateway' },
      'prod',
      { limit: 100 },
    );
    api.getVersions.mockResolvedValue({
      ...list,
      waiting: { ...list.waiting!, id: 9 },
    });
    renderTrafficTab(api, { path: '/traffic/versions?environment=prod' });
    const row = within(
      await screen.findByRole('row', {
        name: 'Change #9 waiting for approval',
      }),
    );
    for (const name of ['Approve', 'Reject']) {
      const button = row.getByRole('button', { name });
      await waitFor(() => expect(button).toBeDisabled());
      expect(button.parentElement).toHaveAttribute(
        'title',
        'Changes in Production are decided by its approvers (or platform admins), never by whoever asked for them',
      );
    }
  });

  it('reviews the waiting change against the published site and approves it from the drawer', async () => {
    const api = createK2TrafficApi();
    renderTrafficTab(api, {
      approve: true,
      path: '/traffic/versions?environment=prod',
    });
    const user = setupUser();
    const row = within(
      await screen.findByRole('row', {
        name: 'Change #7 waiting for approval',
      }),
    );
    await user.click(row.getByRole('button', { name: 'Review' }));
    const drawer = within(
      await screen.findByRole('dialog', {
        name: 'Change #7 against version #2',
      }),
    );
    const diff = await drawer.findByRole('table', {
      name: 'Site differences',
    });
    expect(api.getVersion).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'prod',
      2,
    );
    // The changed weight beside its old value, the added member, nothing else.
    expect(diff).toHaveTextContent(
      'Removed: upstreams[app].members[10.20.0.7:8080].weight: 2',
    );
    expect(diff).toHaveTextContent(
      'Added: upstreams[app].members[10.20.0.7:8080].weight: 3',
    );
    expect(diff).toHaveTextContent(
      'Added: upstreams[app].members[10.30.0.4:8080].weight: 1',
    );
    expect(diff.textContent?.match(/(Removed|Added): /g)).toHaveLength(4);

    await user.click(drawer.getByRole('button', { name: 'Approve' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Approve change #7 to the Production site?',
      }),
    );
    await user.click(dialog.getByRole('button', { name: 'Approve' }));
    expect(api.approve).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'prod',
      7,
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('dialog', { name: 'Change #7 against version #2' }),
      ).not.toBeInTheDocument(),
    );
    expect(
      await screen.findByRole('checkbox', { name: 'Select version #3' }),
    ).toBeInTheDocument();
  });

  it('lets the requester withdraw their waiting change after confirming; others see no Withdraw', async () => {
    const api = createK2TrafficApi();
    // usePermission caches answers per resource: a change no other test decides.
    const answer = api.getVersions.getMockImplementation()!;
    api.getVersions.mockImplementation(async (...args) => {
      const list = await answer(...args);
      return list.waiting
        ? { ...list, waiting: { ...list.waiting, id: 11 } }
        : list;
    });
    const { unmount } = renderTrafficTab(api, {
      path: '/traffic/versions?environment=prod',
    });
    const asAlice = within(
      await screen.findByRole('row', {
        name: 'Change #11 waiting for approval',
      }),
    );
    await waitFor(() =>
      expect(asAlice.getByRole('button', { name: 'Approve' })).toBeDisabled(),
    );
    expect(
      asAlice.queryByRole('button', { name: 'Withdraw' }),
    ).not.toBeInTheDocument();
    unmount();

    renderTrafficTab(api, {
      user: 'user:default/erin',
      path: '/traffic/versions?environment=prod',
    });
    const user = setupUser();
    const row = within(
      await screen.findByRole('row', {
        name: 'Change #11 waiting for approval',
      }),
    );
    await user.click(await row.findByRole('button', { name: 'Withdraw' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Withdraw change #11 to the Production site?',
      }),
    );
    expect(api.withdraw).not.toHaveBeenCalled();
    await user.type(dialog.getByLabelText('Reason'), 'Wrong member');
    await user.click(dialog.getByRole('button', { name: 'Withdraw' }));
    expect(api.withdraw).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'prod',
      11,
      { reason: 'Wrong member' },
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('row', { name: 'Change #11 waiting for approval' }),
      ).not.toBeInTheDocument(),
    );
    expect(api.approve).not.toHaveBeenCalled();
  });

  it('says in the publish dialog that a production publish waits for approval', async () => {
    const api = createK2TrafficApi();
    const [edge] = clusters().items;
    api.getClusters.mockResolvedValue({
      items: [{ ...edge, name: 'edge-prod', environments: ['prod'] }],
    });
    api.getSite.mockImplementation(async (service, environment) => ({
      service: `component:default/${service.name}`,
      environment,
      cluster: 'edge-prod',
      podMembers: [],
      canaryMembers: [],
      domains: [],
    }));
    api.publish.mockResolvedValue({
      id: 8,
      service: 'component:default/payment-gateway',
      environment: 'prod',
      status: 'waiting',
      requestedBy: 'user:default/alice',
      requestedAt: new Date().toISOString(),
      message: 'First',
      contentHash: `sha256:${'8'.repeat(64)}`,
      site: { template: 'default', upstreams: [], locations: [] },
    });
    renderTrafficTab(api, { path: '/traffic/site?environment=prod' });
    const user = setupUser();
    await user.click(await screen.findByRole('button', { name: 'Publish…' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Publish the site in Production?',
      }),
    );
    expect(
      dialog.getByText(
        /^Changes in Production need approval: this publish waits/,
      ),
    ).toBeInTheDocument();
    await user.type(dialog.getByLabelText(/Message/), 'First');
    await user.click(dialog.getByRole('button', { name: 'Publish' }));
    expect(
      await screen.findByText(
        'Change #8 waits for approval; it is published once an approver approves it.',
      ),
    ).toBeInTheDocument();
  });

  it('compares two versions and rolls back to the older one', async () => {
    const api = createK2TrafficApi();
    renderTrafficTab(api, { path: '/traffic/versions?environment=test' });
    const user = setupUser();
    const table = within(
      await screen.findByRole('table', { name: 'Test site versions' }),
    );
    const compare = screen.getByRole('button', { name: 'Compare selected' });
    expect(compare).toBeDisabled();
    expect(
      table.getByRole('button', { name: 'Roll back to #2' }),
    ).toBeDisabled();
    await user.click(
      table.getByRole('checkbox', { name: 'Select version #1' }),
    );
    await user.click(
      table.getByRole('checkbox', { name: 'Select version #2' }),
    );
    await user.click(compare);
    const drawer = within(
      await screen.findByRole('dialog', { name: 'Version #1 → #2' }),
    );
    expect(
      drawer.getByRole('table', { name: 'Rendered config differences' }),
    ).toHaveTextContent('server 10.20.0.8:8080 weight=1;');
    await user.click(drawer.getByRole('button', { name: 'Close' }));

    await user.click(table.getByRole('button', { name: 'Roll back to #1' }));
    const dialog = within(
      await screen.findByRole('dialog', {
        name: 'Roll back the Test site to version #1?',
      }),
    );
    await user.click(dialog.getByRole('button', { name: 'Roll back to #1' }));
    expect(api.rollback).toHaveBeenCalledWith(
      expect.objectContaining({ namespace: 'default' }),
      'test',
      1,
    );
    expect(await screen.findByText('rollback to #1')).toBeInTheDocument();
  });

  it('sets a canary route on an upstream, showing its refusal on the field', async () => {
    const api = createK2TrafficApi();
    api.publish.mockRejectedValueOnce(
      new K2ApiError(
        'site.upstreams[0].canary.percent: must be a whole number from 1 to 99 (the share of requests the canary gets)',
        400,
      ),
    );
    renderTrafficTab(api, { path: '/traffic/site?environment=test' });
    const user = setupUser();
    const canary = within(
      await screen.findByRole('group', { name: 'Canary of app' }),
    );
    await user.click(canary.getByRole('button', { name: /Canary route/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Share of requests' }),
    );
    await user.type(
      canary.getByRole('spinbutton', { name: 'Share (%)' }),
      '100',
    );
    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    let dialog = within(await screen.findByRole('dialog'));
    await user.type(dialog.getByRole('textbox', { name: /Message/ }), 'x');
    await user.click(dialog.getByRole('button', { name: 'Publish' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const percent = canary.getByRole('spinbutton', { name: 'Share (%)' });
    expect(percent).toHaveAttribute('aria-invalid', 'true');
    expect(percent).toHaveAccessibleDescription(
      'must be a whole number from 1 to 99 (the share of requests the canary gets)',
    );

    await user.clear(percent);
    await user.type(percent, '10');
    await user.click(screen.getByRole('button', { name: 'Publish…' }));
    dialog = within(await screen.findByRole('dialog'));
    expect(
      dialog.getByRole('table', { name: 'Site changes' }),
    ).toHaveTextContent('upstreams[app].canary: 10%');
    await user.click(dialog.getByRole('button', { name: 'Publish' }));
    await screen.findByText('Version #3 published.');
    const [, , input] = api.publish.mock.calls[1];
    expect(input.site.upstreams[0].canary).toEqual({
      kind: 'weight',
      percent: 10,
    });
  });

  it('shows an upstream’s canary route and lists the canary pods apart', async () => {
    const api = createK2TrafficApi();
    const { site } = await api
      .getSite({ namespace: 'default', name: 'payment-gateway' }, 'test')
      .then(view => view.current!);
    await api.publish(
      { namespace: 'default', name: 'payment-gateway' },
      'test',
      {
        site: {
          ...site,
          upstreams: [
            {
              ...site.upstreams[0],
              canary: { kind: 'header', name: 'X-Beta', value: 'yes' },
            },
          ],
        },
        message: 'Beta testers to the canary',
      },
    );
    renderTrafficTab(api);
    const test = within(
      await screen.findByRole('region', { name: 'Test environment' }),
    );
    await test.findByText('Version #3');
    const upstreams = within(test.getByRole('table', { name: 'Upstreams' }));
    expect(upstreams.getByText('Header X-Beta: yes')).toBeInTheDocument();
    const members = within(test.getByRole('table', { name: 'Members' }));
    const canary = members.getByText('127.1.0.9:8080').closest('tr')!;
    expect(
      within(canary as HTMLElement).getByText('Canary'),
    ).toBeInTheDocument();
    expect(
      within(canary as HTMLElement).getByText(/-canary-5c8d-fghij$/),
    ).toBeInTheDocument();
    const stable = members.getByText('127.1.0.7:8080').closest('tr')!;
    expect(
      within(stable as HTMLElement).queryByText('Canary'),
    ).not.toBeInTheDocument();
  });
});
