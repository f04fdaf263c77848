import { screen, waitFor, within } from '@testing-library/react';
import { K2ApiError } from '@internal/plugin-k2-common';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import {
  createK2MiddlewareStoreApi,
  instanceId,
  REDIS_PASSWORD,
} from '../__testUtils__/mockK2MiddlewareStoreApi';
import { renderMiddlewareTab } from '../__testUtils__/render';

jest.setTimeout(30_000);

const instancesTable = () =>
  screen.findByRole('table', { name: /^Middleware of payment-gateway-\d+$/ });

const drawer = (name: string) => screen.findByRole('dialog', { name });

const refusal = (message: string) =>
  new K2ApiError(message, 403, { error: { name: 'NotAllowedError', message } });

/** The date a user reads `days` from now, as the tab writes it (English locale). */
const dateIn = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toLocaleDateString('en');

describe('Middleware tab', () => {
  it('lists the service’s instances with their state, replicas and expiry', async () => {
    renderMiddlewareTab(createK2MiddlewareStoreApi());
    const table = await instancesTable();
    const cache = within(table).getByRole('row', { name: 'Open orders-cache' });
    expect(cache).toHaveTextContent('redis 7.2');
    expect(cache).toHaveTextContent(`Ready · Expires ${dateIn(1.5)}`);
    expect(cache).toHaveTextContent('1/1');
    const db = within(table).getByRole('row', { name: 'Open ledger-db' });
    expect(db).toHaveTextContent('Production');
    expect(db).toHaveTextContent('Awaiting approval');
    expect(db).toHaveTextContent('never');
    const old = within(table).getByRole('row', { name: 'Open old-cache' });
    expect(old).toHaveTextContent(`Deleted · restorable until ${dateIn(5)}`);
    // A ready instance is not drawn as an error.
    expect(within(cache).queryByLabelText('Status error')).toBeNull();
  });

  it('shows the backend’s refusal when the list cannot be read', async () => {
    const api = createK2MiddlewareStoreApi();
    api.getServiceInstances.mockRejectedValueOnce(
      refusal('You may not read the middleware of this service'),
    );
    renderMiddlewareTab(api);
    expect(
      await screen.findByText(
        'You may not read the middleware of this service',
      ),
    ).toBeInTheDocument();
  });

  it('binds after saying the next release receives the env vars, and shows a refusal inside the dialog', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    // orders-cache, not bound to anything.
    const read = api.getInstance.getMockImplementation()!;
    api.getInstance.mockImplementation(async id => ({
      ...(await read(id)),
      bindings: [],
    }));
    api.bindInstance.mockRejectedValueOnce(
      refusal('payment-gateway is owned by another team than orders-cache'),
    );
    renderMiddlewareTab(api, {
      path: `/middleware?instance=${instanceId('cache')}`,
    });
    const opened = await drawer('orders-cache');
    await user.click(
      await within(opened).findByRole('button', {
        name: /^Bind to payment-gateway-/,
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: /^Bind orders-cache to payment-gateway-\d+\?$/,
    });
    expect(dialog).toHaveTextContent('REDIS_PASSWORD');
    expect(dialog).toHaveTextContent(
      /The next release of payment-gateway-\d+ in Test receives these env vars/,
    );
    await user.click(within(dialog).getByRole('button', { name: 'Bind' }));
    expect(
      await within(dialog).findByText(
        'payment-gateway is owned by another team than orders-cache',
      ),
    ).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Bind' }));
    await waitFor(() => expect(api.bindInstance).toHaveBeenCalledTimes(2));
    await waitFor(() =>
      expect(screen.queryByRole('dialog', { name: /^Bind / })).toBeNull(),
    );
  });

  it('validates the create form, says a Production instance waits for approvers, and sends only what was set', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api);
    await instancesTable();
    await user.click(screen.getByRole('button', { name: 'Create middleware' }));
    const dialog = await screen.findByRole('dialog', {
      name: /^Create middleware for payment-gateway-\d+$/,
    });
    const create = within(dialog).getByRole('button', { name: 'Create' });
    // Test: created at once, with its default time to live and cap.
    expect(dialog).toHaveTextContent('Created at once in Test');
    expect(dialog).toHaveTextContent(
      '7 days — Test default; at most 30 days, renewable',
    );
    // Each parameter starts empty with the template's default said under it.
    expect(
      await within(dialog).findByText('1 — template default'),
    ).toBeInTheDocument();
    expect(create).toBeDisabled();

    await user.type(within(dialog).getByLabelText('Name'), 'Cache_1');
    expect(dialog).toHaveTextContent('Use lowercase letters');
    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'session-cache');
    // Sentinel needs 3 or 5 replicas: the template's default of 1 no longer applies.
    await user.click(within(dialog).getByLabelText('Mode'));
    await user.click(await screen.findByRole('option', { name: 'sentinel' }));
    expect(create).toBeDisabled();
    expect(dialog).toHaveTextContent('Required');
    await user.click(within(dialog).getByLabelText('Replicas'));
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(['—', '3', '5']);
    await user.click(screen.getByRole('option', { name: '3' }));
    await user.type(within(dialog).getByLabelText('Time to live (days)'), '45');
    expect(dialog).toHaveTextContent('From 1 to 30 days');
    expect(create).toBeDisabled();
    await user.clear(within(dialog).getByLabelText('Time to live (days)'));

    await user.click(within(dialog).getByLabelText('Environment'));
    await user.click(await screen.findByRole('option', { name: 'Production' }));
    expect(dialog).toHaveTextContent(
      'Production needs approval: the instance waits for an approver of Production (not you) and nothing is created until one approves.',
    );
    expect(within(dialog).queryByLabelText('Time to live (days)')).toBeNull();
    await user.type(
      within(dialog).getByLabelText('Reason for the approvers'),
      'Sessions of the checkout',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Ask for approval' }),
    );
    await waitFor(() =>
      expect(api.createInstance).toHaveBeenCalledWith(
        {
          namespace: 'default',
          name: expect.stringMatching(/^payment-gateway-/),
        },
        {
          environment: 'prod',
          template: 'redis-7',
          name: 'session-cache',
          parameters: { mode: 'sentinel', replicas: 3 },
          reason: 'Sessions of the checkout',
        },
      ),
    );
    // The new instance opens in its drawer, waiting.
    const opened = await drawer('session-cache');
    expect(
      await within(opened).findByText('Awaiting approval'),
    ).toBeInTheDocument();
    expect(
      within(opened).getByText(
        'You asked for this instance, so an approver of Production other than you decides.',
      ),
    ).toBeInTheDocument();
  });

  it('shows a name in use as the backend’s refusal, keeping the form', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api);
    await instancesTable();
    await user.click(screen.getByRole('button', { name: 'Create middleware' }));
    const dialog = await screen.findByRole('dialog', {
      name: /^Create middleware for/,
    });
    await within(dialog).findByText('1 — template default');
    await user.type(within(dialog).getByLabelText('Name'), 'orders-cache');
    await user.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect(
      await within(dialog).findByText(
        "The name 'orders-cache' is taken in test",
      ),
    ).toBeInTheDocument();
    expect(within(dialog).getByLabelText('Name')).toHaveValue('orders-cache');
  });

  it('reveals the connection only to owners, with secret values masked until shown', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      path: `/middleware?instance=${instanceId('cache')}`,
    });
    const opened = await drawer('orders-cache');
    expect(api.getConnection).not.toHaveBeenCalled();
    await user.click(
      await within(opened).findByRole('button', { name: 'Show connection' }),
    );
    const env = await within(opened).findByRole('table', { name: 'Env vars' });
    expect(
      within(env).getByText('payments.svc', { exact: false }),
    ).toBeInTheDocument();
    expect(opened).not.toHaveTextContent(REDIS_PASSWORD);
    expect(
      within(opened).getByRole('button', { name: 'Copy REDIS_PASSWORD' }),
    ).toBeInTheDocument();
    await user.click(
      within(opened).getByRole('button', { name: 'Show REDIS_PASSWORD' }),
    );
    expect(within(env).getByText(REDIS_PASSWORD)).toBeInTheDocument();
    await user.click(
      within(opened).getByRole('button', { name: 'Hide REDIS_PASSWORD' }),
    );
    expect(opened).not.toHaveTextContent(REDIS_PASSWORD);
  });

  it('does not let someone who does not own the service see the connection, and says why', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      owner: false,
      user: 'user:default/bob',
      path: `/middleware?instance=${instanceId('cache')}`,
    });
    const opened = await drawer('orders-cache');
    const show = await within(opened).findByRole('button', {
      name: 'Show connection',
    });
    await waitFor(() => expect(show).toBeDisabled());
    await user.hover(show.parentElement!);
    expect(
      await screen.findByText(
        'Only the service’s owners (and platform admins) may see its connection info',
      ),
    ).toBeInTheDocument();
    expect(
      within(opened).getByRole('button', { name: 'Resize' }),
    ).toBeDisabled();
    expect(api.getConnection).not.toHaveBeenCalled();
  });

  it('refuses to delete a bound instance, unbinds it, then deletes after the name is typed', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      path: `/middleware?instance=${instanceId('cache')}`,
    });
    const opened = await drawer('orders-cache');
    const del = await within(opened).findByRole('button', { name: 'Delete' });
    await waitFor(() => expect(del).toBeDisabled());
    await user.hover(del.parentElement!);
    expect(
      await screen.findByText(
        /^Bound to payment-gateway-\d+: unbind it first$/,
      ),
    ).toBeInTheDocument();

    await user.click(
      within(opened).getByRole('button', {
        name: /^Unbind from payment-gateway-/,
      }),
    );
    const unbind = await screen.findByRole('dialog', {
      name: /^Unbind orders-cache from payment-gateway-\d+\?$/,
    });
    expect(unbind).toHaveTextContent(
      /The next release of payment-gateway-\d+ in Test no longer receives the env vars of orders-cache/,
    );
    await user.click(within(unbind).getByRole('button', { name: 'Unbind' }));
    await waitFor(() => expect(api.unbindInstance).toHaveBeenCalled());
    await waitFor(() =>
      expect(
        within(opened).getByRole('button', { name: 'Delete' }),
      ).toBeEnabled(),
    );

    await user.click(within(opened).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete orders-cache in Test?',
    });
    expect(dialog).toHaveTextContent(`A backup is kept until ${dateIn(7)}`);
    expect(dialog).toHaveTextContent(
      'A logical dump is written to a backup volume first.',
    );
    const confirm = within(dialog).getByRole('button', { name: 'Delete' });
    expect(confirm).toBeDisabled();
    await user.type(
      within(dialog).getByLabelText('Type orders-cache to confirm'),
      'orders-cach',
    );
    expect(confirm).toBeDisabled();
    await user.type(
      within(dialog).getByLabelText('Type orders-cache to confirm'),
      'e',
    );
    await user.click(confirm);
    await waitFor(() =>
      expect(api.deleteInstance).toHaveBeenCalledWith(instanceId('cache')),
    );
    expect(await within(opened).findByText('Deleting')).toBeInTheDocument();
  });

  it('restores a deleted instance within its retention, and says when a backup is gone', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      path: `/middleware?instance=${instanceId('stale')}`,
    });
    const stale = await drawer('stale-cache');
    const refused = await within(stale).findByRole('button', {
      name: 'Restore',
    });
    await waitFor(() => expect(refused).toBeDisabled());
    await user.hover(refused.parentElement!);
    expect(
      await screen.findByText(`Its backup was kept until ${dateIn(-2)}`),
    ).toBeInTheDocument();
    await user.click(within(stale).getByRole('button', { name: 'Close' }));

    await user.click(
      within(await instancesTable()).getByRole('row', {
        name: 'Open old-cache',
      }),
    );
    const old = await drawer('old-cache');
    expect(old).toHaveTextContent('Logical dump old-cache-dump: succeeded');
    const restore = within(old).getByRole('button', { name: 'Restore' });
    await waitFor(() => expect(restore).toBeEnabled());
    await user.click(restore);
    const dialog = await screen.findByRole('dialog', {
      name: 'Restore old-cache in Test?',
    });
    expect(dialog).toHaveTextContent('onto the same Secret and data volumes');
    await user.click(within(dialog).getByRole('button', { name: 'Restore' }));
    await waitFor(() =>
      expect(api.restoreInstance).toHaveBeenCalledWith(instanceId('old')),
    );
    expect(await within(old).findByText('Restoring')).toBeInTheDocument();
  });

  it('hides Approve and Reject from the requester, even an approver', async () => {
    renderMiddlewareTab(createK2MiddlewareStoreApi(), {
      approver: true,
      path: `/middleware?instance=${instanceId('db')}`,
    });
    const opened = await drawer('ledger-db');
    expect(
      await within(opened).findByText(
        'You asked for this instance, so an approver of Production other than you decides.',
      ),
    ).toBeInTheDocument();
    expect(
      within(opened).queryByRole('button', { name: 'Approve' }),
    ).toBeNull();
    expect(within(opened).queryByRole('button', { name: 'Reject' })).toBeNull();
  });

  it('lets an approver approve, and shows others the buttons disabled with the reason', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      approver: true,
      owner: false,
      user: 'user:default/carol',
      path: `/middleware?instance=${instanceId('db')}`,
    });
    const opened = await drawer('ledger-db');
    expect(opened).toHaveTextContent(
      'Reason: The ledger service needs its database',
    );
    const approve = await within(opened).findByRole('button', {
      name: 'Approve',
    });
    await waitFor(() => expect(approve).toBeEnabled());
    await user.click(approve);
    const dialog = await screen.findByRole('dialog', {
      name: 'Approve ledger-db in Production?',
    });
    expect(dialog).toHaveTextContent(
      /alice asked for mysql 8.0 for payment-gateway-\d+\. Approving creates it in Production at once\./,
    );
    await user.type(within(dialog).getByLabelText('Comment (optional)'), 'ok');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));
    await waitFor(() =>
      expect(api.approveInstance).toHaveBeenCalledWith(instanceId('db'), 'ok'),
    );
    expect(await within(opened).findByText('Creating')).toBeInTheDocument();
  });

  it('shows a user who may not approve the buttons disabled with the reason', async () => {
    const user = setupUser();
    renderMiddlewareTab(createK2MiddlewareStoreApi(), {
      owner: false,
      user: 'user:default/bob',
      path: `/middleware?instance=${instanceId('db')}`,
    });
    const opened = await drawer('ledger-db');
    const reject = await within(opened).findByRole('button', {
      name: 'Reject',
    });
    await waitFor(() => expect(reject).toBeDisabled());
    await user.hover(reject.parentElement!);
    expect(
      await screen.findByText(
        'Only approvers of Production (and platform admins) may decide, never the requester',
      ),
    ).toBeInTheDocument();
  });

  it('renews within the environment’s cap', async () => {
    const api = createK2MiddlewareStoreApi();
    const user = setupUser();
    renderMiddlewareTab(api, {
      path: `/middleware?instance=${instanceId('cache')}`,
    });
    const opened = await drawer('orders-cache');
    const renew = await within(opened).findByRole('button', { name: 'Renew' });
    await waitFor(() => expect(renew).toBeEnabled());
    await user.click(renew);
    const dialog = await screen.findByRole('dialog', {
      name: 'Renew orders-cache?',
    });
    const days = within(dialog).getByLabelText('Days from now');
    await user.clear(days);
    await user.type(days, '31');
    expect(
      within(dialog).getByRole('button', { name: 'Renew' }),
    ).toBeDisabled();
    expect(dialog).toHaveTextContent('From 1 to 30 days (Test’s cap)');
    await user.clear(days);
    await user.type(days, '14');
    expect(dialog).toHaveTextContent(
      `Moves its expiry to 14 days from now: ${dateIn(14)}`,
    );
    await user.click(within(dialog).getByRole('button', { name: 'Renew' }));
    await waitFor(() =>
      expect(api.renewInstance).toHaveBeenCalledWith(instanceId('cache'), 14),
    );
    await waitFor(() =>
      expect(opened).toHaveTextContent(
        `Expires ${dateIn(14)} · renewed 2 times`,
      ),
    );
  });
});
