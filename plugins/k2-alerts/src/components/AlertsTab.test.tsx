import { act, screen, waitFor, within } from '@testing-library/react';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi, INCIDENTS } from '../__testUtils__/mockK2AlertsApi';
import { openNewRuleDialog, renderAlertsTab } from '../__testUtils__/render';
import { PREVIEW_DELAY_MS } from './RuleDialog';

jest.setTimeout(30_000);

const OWNERS_ONLY =
  'Only the service’s owners (and platform admins) may change its alert rules';

describe('Alerts tab', () => {
  describe('Incidents', () => {
    it('lists open incidents before resolved ones, with severity, environment and how many alerts fire', async () => {
      const api = createK2AlertsApi();
      renderAlertsTab(api);
      const open = await screen.findByRole('table', { name: 'Open incidents' });
      const rows = within(open).getAllByRole('row').slice(1);
      expect(rows).toHaveLength(2);
      expect(rows[0]).toHaveTextContent('High memory');
      expect(rows[0]).toHaveTextContent('Critical');
      expect(rows[0]).toHaveTextContent('Test');
      expect(rows[0]).toHaveTextContent('1 firing of 2');
      expect(rows[0]).toHaveTextContent('12 minutes ago');
      expect(rows[1]).toHaveTextContent('OOMKilled');
      expect(rows[1]).toHaveTextContent('Production');
      expect(rows[1]).toHaveTextContent('Kubernetes');
      const resolved = await screen.findByRole('table', {
        name: 'Resolved incidents',
      });
      expect(resolved).toHaveTextContent('Checkout probe');
      expect(resolved).toHaveTextContent('3 hours ago');
      expect(open).not.toHaveTextContent('Checkout probe');
      expect(api.getIncidents).toHaveBeenCalledWith(
        expect.objectContaining({ name: expect.any(String) }),
        { status: 'open' },
      );
    });

    it('opens an incident in a drawer with each alert, its labels and its state changes', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      renderAlertsTab(api);
      const open = await screen.findByRole('table', { name: 'Open incidents' });
      await user.click(within(open).getByText('High memory'));
      const drawer = await screen.findByRole('dialog', { name: 'High memory' });
      const alerts = await within(drawer).findByRole('table', {
        name: 'Alerts',
      });
      expect(alerts).toHaveTextContent(
        'payment-gateway uses 91 % of its memory limit',
      );
      const labels = within(drawer).getAllByRole('list', { name: 'Labels' });
      expect(labels[0]).toHaveTextContent('pod=payment-gateway-7d9f-abcde');
      const changes = within(drawer).getAllByRole('table', {
        name: 'State changes',
      });
      expect(within(changes[1]).getAllByRole('row')).toHaveLength(3);
      expect(changes[1]).toHaveTextContent('Resolved');
      expect(api.getIncident).toHaveBeenCalledWith('inc-memory');
      await user.click(within(drawer).getByRole('button', { name: 'Close' }));
      await waitFor(() =>
        expect(
          screen.queryByRole('dialog', { name: 'High memory' }),
        ).not.toBeInTheDocument(),
      );
    });

    it('shows older resolved incidents a page at a time', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      const resolved = (n: number) => ({
        ...INCIDENTS[2],
        id: `old-${n}`,
        title: `Old incident ${n}`,
      });
      const serve = api.getIncidents.getMockImplementation()!;
      api.getIncidents.mockImplementation(async (service, query = {}) => {
        if (query.status !== 'resolved') return serve(service, query);
        return query.cursor === 'p2'
          ? { items: [resolved(3)] }
          : { items: [resolved(1), resolved(2)], nextCursor: 'p2' };
      });
      renderAlertsTab(api);
      const table = await screen.findByRole('table', {
        name: 'Resolved incidents',
      });
      expect(within(table).getAllByRole('row')).toHaveLength(3);
      await user.click(
        screen.getByRole('button', { name: 'Show older resolved incidents' }),
      );
      await waitFor(() =>
        expect(within(table).getAllByRole('row')).toHaveLength(4),
      );
      expect(table).toHaveTextContent('Old incident 3');
      expect(api.getIncidents).toHaveBeenLastCalledWith(expect.anything(), {
        status: 'resolved',
        limit: 20,
        cursor: 'p2',
      });
      expect(
        screen.queryByRole('button', { name: 'Show older resolved incidents' }),
      ).not.toBeInTheDocument();
    });

    it('narrows incidents to one environment', async () => {
      const api = createK2AlertsApi();
      renderAlertsTab(api, { path: '/alerts?environment=prod' });
      const open = await screen.findByRole('table', { name: 'Open incidents' });
      expect(open).toHaveTextContent('OOMKilled');
      expect(open).not.toHaveTextContent('High memory');
      expect(api.getIncidents).toHaveBeenCalledWith(expect.anything(), {
        environment: 'prod',
        status: 'open',
      });
    });
  });

  describe('Rules', () => {
    it('shows each rule’s condition in words, severity and delivery, with why a delivery failed', async () => {
      renderAlertsTab(createK2AlertsApi(), { path: '/alerts/rules' });
      const table = await screen.findByRole('table', {
        name: 'Alert rules in Test',
      });
      const memory = within(table).getByRole('row', { name: /High memory/ });
      expect(memory).toHaveTextContent('Memory above 80 % of the limit for 5m');
      expect(memory).toHaveTextContent('Critical');
      expect(memory).toHaveTextContent('Delivered');
      const probe = within(table).getByRole('row', { name: /Checkout probe/ });
      expect(probe).toHaveTextContent(
        'HTTP probe of https://checkout.test.k2.northwind.internal/health failing for 2m',
      );
      expect(probe).toHaveTextContent('Failed');
      expect(probe).toHaveTextContent(
        'promtool: group "payment-gateway": 1 error',
      );
      expect(
        within(memory).getByRole('checkbox', { name: 'Enable High memory' }),
      ).toBeChecked();
      // A custom template's rule reads as its title and its parameters.
      expect(
        within(table).getByRole('row', { name: /Slow queries/ }),
      ).toHaveTextContent('Slow queries: latency 3 for 10m');
    });

    it('shows other users every control disabled with the reason', async () => {
      const api = createK2AlertsApi();
      renderAlertsTab(api, {
        path: '/alerts/rules',
        manage: false,
        user: 'user:default/bob',
      });
      const table = await screen.findByRole('table', {
        name: 'Alert rules in Test',
      });
      const create = screen.getByRole('button', { name: 'New rule' });
      expect(create).toBeDisabled();
      expect(create.closest('[title]')).toHaveAttribute('title', OWNERS_ONLY);
      for (const name of ['Edit High memory', 'Delete High memory']) {
        expect(within(table).getByRole('button', { name })).toBeDisabled();
      }
      expect(
        within(table).getByRole('checkbox', { name: 'Enable High memory' }),
      ).toBeDisabled();
    });

    it('disables a rule with its switch', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      renderAlertsTab(api, { path: '/alerts/rules' });
      const table = await screen.findByRole('table', {
        name: 'Alert rules in Test',
      });
      await user.click(
        within(table).getByRole('checkbox', { name: 'Enable High memory' }),
      );
      expect(api.updateRule).toHaveBeenCalledWith(
        expect.anything(),
        'r-memory',
        expect.objectContaining({
          environment: 'test',
          templateId: 'memory-usage',
          parameters: { threshold: 80 },
          enabled: false,
        }),
      );
      await waitFor(() =>
        expect(
          within(table).getByRole('checkbox', { name: 'Enable High memory' }),
        ).not.toBeChecked(),
      );
    });

    it('edits a rule with its values filled in and saves what was changed', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      renderAlertsTab(api, { path: '/alerts/rules' });
      const table = await screen.findByRole('table', {
        name: 'Alert rules in Test',
      });
      await user.click(
        within(table).getByRole('button', { name: 'Edit High memory' }),
      );
      const dialog = screen.getByRole('dialog', {
        name: 'Edit High memory in Test',
      });
      const threshold = within(dialog).getByRole('textbox', {
        name: 'Share of the memory limit',
      });
      expect(threshold).toHaveValue('80');
      expect(within(dialog).getByRole('textbox', { name: 'For' })).toHaveValue(
        '5m',
      );
      await user.clear(threshold);
      await user.type(threshold, '85');
      await user.click(within(dialog).getByRole('button', { name: 'Save' }));
      expect(api.updateRule).toHaveBeenCalledWith(
        expect.anything(),
        'r-memory',
        {
          environment: 'test',
          name: 'High memory',
          templateId: 'memory-usage',
          parameters: { threshold: 85 },
          for: '5m',
          severity: 'critical',
          enabled: true,
        },
      );
      await waitFor(() =>
        expect(
          within(table).getByRole('row', { name: /High memory/ }),
        ).toHaveTextContent('Memory above 85 % of the limit for 5m'),
      );
    });

    it('deletes a rule after confirming', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      renderAlertsTab(api, { path: '/alerts/rules' });
      const table = await screen.findByRole('table', {
        name: 'Alert rules in Test',
      });
      await user.click(
        within(table).getByRole('button', { name: 'Delete Checkout probe' }),
      );
      const dialog = screen.getByRole('dialog', {
        name: 'Delete Checkout probe from Test?',
      });
      await user.click(within(dialog).getByRole('button', { name: 'Delete' }));
      expect(api.deleteRule).toHaveBeenCalledWith(expect.anything(), 'r-probe');
      await waitFor(() =>
        expect(table).not.toHaveTextContent('Checkout probe'),
      );
    });
  });

  describe('New rule', () => {
    it('previews the current value and the rule group once the form is valid, then creates the rule', async () => {
      const { api, user, dialog } = await openNewRuleDialog();
      const threshold = within(dialog).getByRole('textbox', {
        name: 'Share of the memory limit',
      });
      expect(threshold).toHaveAttribute('placeholder', '90');
      expect(threshold).toHaveAccessibleDescription('Default: 90 %');
      expect(
        within(dialog).getByText('Fill in the form to see the preview'),
      ).toBeInTheDocument();
      await user.type(
        within(dialog).getByRole('textbox', { name: /^Name/ }),
        'High memory 90',
      );
      await user.type(threshold, '90');
      const series = await within(dialog).findByRole('table', {
        name: 'Live preview',
      });
      expect(series).toHaveTextContent(
        'cluster="test" pod="payment-gateway-7d9f-abcde"',
      );
      expect(series).toHaveTextContent('83.12 %');
      expect(api.previewRule).toHaveBeenCalledTimes(1);
      expect(api.previewRule).toHaveBeenCalledWith(expect.anything(), {
        environment: 'test',
        name: 'High memory 90',
        templateId: 'memory-usage',
        parameters: { threshold: 90 },
        enabled: true,
      });
      const group = await within(dialog).findByRole('textbox', {
        name: 'Rendered rule group',
      });
      await waitFor(() =>
        expect(group).toHaveTextContent('- alert: High memory 90'),
      );
      await user.click(within(dialog).getByRole('button', { name: 'Create' }));
      expect(api.createRule).toHaveBeenCalledWith(expect.anything(), {
        environment: 'test',
        name: 'High memory 90',
        templateId: 'memory-usage',
        parameters: { threshold: 90 },
        enabled: true,
      });
      const table = screen.getByRole('table', { name: 'Alert rules in Test' });
      await waitFor(() => expect(table).toHaveTextContent('High memory 90'));
    });

    it('says what is wrong under each field and neither previews nor creates until it is fixed', async () => {
      jest.useFakeTimers({ advanceTimers: true });
      try {
        const { api, user, dialog } = await openNewRuleDialog();
        await user.type(
          within(dialog).getByRole('textbox', { name: /^Name/ }),
          '9 lives',
        );
        expect(
          within(dialog).getByRole('textbox', { name: /^Name/ }),
        ).toHaveAccessibleDescription(
          'Letters, digits, spaces and _ . : -, starting with a letter and ending with a letter or digit',
        );
        const threshold = within(dialog).getByRole('textbox', {
          name: 'Share of the memory limit',
        });
        await user.type(threshold, '150');
        expect(threshold).toHaveAccessibleDescription('At most 100');
        const forField = within(dialog).getByRole('textbox', { name: 'For' });
        await user.type(forField, '5 minutes');
        expect(forField).toHaveAccessibleDescription(
          'A duration such as 30s, 5m or 1h',
        );
        await act(async () => {
          jest.advanceTimersByTime(PREVIEW_DELAY_MS * 2);
        });
        expect(api.previewRule).not.toHaveBeenCalled();
        expect(
          within(dialog).getByRole('button', { name: 'Create' }),
        ).toBeDisabled();
      } finally {
        jest.useRealTimers();
      }
    });

    it('asks for the pod and container of the single-container template, as Kubernetes names them', async () => {
      const { api, user, dialog } = await openNewRuleDialog();
      await user.click(within(dialog).getByRole('button', { name: /^Rule/ }));
      await user.click(
        screen.getByRole('option', {
          name: "One container's memory over a share of its limit",
        }),
      );
      const pod = within(dialog).getByRole('textbox', {
        name: /^Instance \(pod\)/,
      });
      const container = within(dialog).getByRole('textbox', {
        name: /^Container/,
      });
      expect(pod).toHaveAccessibleDescription('Required');
      expect(container).toHaveAccessibleDescription('Required');
      await user.type(
        within(dialog).getByRole('textbox', { name: /^Name/ }),
        'Envoy memory',
      );
      await user.type(pod, 'payment-gateway-7d9f-abcde');
      await user.type(container, 'Envoy');
      expect(container).toHaveAccessibleDescription(
        'Lowercase letters, digits, - and ., as Kubernetes names it (e.g. payment-gateway-7d9f-abcde)',
      );
      await user.clear(container);
      await user.type(container, 'envoy');
      await waitFor(() =>
        expect(api.previewRule).toHaveBeenCalledWith(expect.anything(), {
          environment: 'test',
          name: 'Envoy memory',
          templateId: 'container-memory',
          parameters: { pod: 'payment-gateway-7d9f-abcde', container: 'envoy' },
          enabled: true,
        }),
      );
    });

    it('takes a size as Kubernetes writes it and sends it in bytes', async () => {
      const { api, user, dialog } = await openNewRuleDialog();
      await user.click(within(dialog).getByRole('button', { name: /^Rule/ }));
      await user.click(
        screen.getByRole('option', { name: 'Memory usage over a size' }),
      );
      const memory = within(dialog).getByRole('textbox', { name: 'Memory' });
      expect(memory).toHaveAttribute('placeholder', '1Gi');
      expect(memory).toHaveAccessibleDescription('Default: 1 GiB');
      await user.type(
        within(dialog).getByRole('textbox', { name: /^Name/ }),
        'Big memory',
      );
      await user.type(memory, 'lots');
      expect(memory).toHaveAccessibleDescription('A size such as 512Mi or 2Gi');
      await user.clear(memory);
      await user.type(memory, '512Ki');
      expect(memory).toHaveAccessibleDescription('At least 1 MiB');
      await user.clear(memory);
      await user.type(memory, '1.5Gi');
      await waitFor(() =>
        expect(api.previewRule).toHaveBeenCalledWith(expect.anything(), {
          environment: 'test',
          name: 'Big memory',
          templateId: 'memory-bytes',
          parameters: { bytes: 1.5 * 2 ** 30 },
          enabled: true,
        }),
      );
      expect(api.previewRule).toHaveBeenCalledTimes(1);
    });

    it('offers PromQL to platform admins only', async () => {
      const owner = await openNewRuleDialog();
      await owner.user.click(
        within(owner.dialog).getByRole('button', { name: /^Rule/ }),
      );
      expect(
        screen.getByRole('option', {
          name: 'PromQL (platform admins) — Only platform admins may write rules in PromQL',
        }),
      ).toHaveAttribute('aria-disabled', 'true');
    });
  });

  describe('History', () => {
    it('pages through alert state changes, filtered by state', async () => {
      const api = createK2AlertsApi();
      const user = setupUser();
      renderAlertsTab(api, { path: '/alerts/history' });
      const rows = async () =>
        within(
          await screen.findByRole('table', { name: 'Alert history' }),
        ).getAllByRole('row');
      expect(await rows()).toHaveLength(51);
      expect(
        screen.getByRole('table', { name: 'Alert history' }),
      ).toHaveTextContent('High memory 1');
      await user.click(screen.getByRole('button', { name: 'Older' }));
      await waitFor(async () => expect(await rows()).toHaveLength(11));
      expect(screen.getByText('Page 2')).toBeInTheDocument();
      expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();
      expect(api.getAlertHistory).toHaveBeenLastCalledWith(expect.anything(), {
        limit: 50,
        cursor: '50',
      });
      await user.click(screen.getByRole('button', { name: 'Newer' }));
      await waitFor(async () => expect(await rows()).toHaveLength(51));

      await user.click(screen.getByRole('button', { name: /^Status/ }));
      await user.click(screen.getByRole('option', { name: 'Resolved' }));
      await waitFor(() =>
        expect(api.getAlertHistory).toHaveBeenLastCalledWith(
          expect.anything(),
          { status: 'resolved', limit: 50 },
        ),
      );
      await waitFor(async () => expect(await rows()).toHaveLength(31));
    });

    it('links each change to its incident on the Incidents view', async () => {
      const user = setupUser();
      renderAlertsTab(createK2AlertsApi(), { path: '/alerts/history' });
      const table = await screen.findByRole('table', { name: 'Alert history' });
      await user.click(
        within(table).getByRole('link', { name: 'High memory 1' }),
      );
      expect(
        await screen.findByRole('dialog', { name: 'High memory' }),
      ).toBeInTheDocument();
      expect(
        screen.getByRole('table', { name: 'Open incidents', hidden: true }),
      ).toBeInTheDocument();
    });
  });
});
