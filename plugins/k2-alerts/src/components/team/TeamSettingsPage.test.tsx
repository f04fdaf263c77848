import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { K2ApiError } from '@internal/plugin-k2-common';
import { setupUser } from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from '../../__testUtils__/mockK2AlertsApi';
import { renderTeamSettings } from '../../__testUtils__/renderTeamSettings';

jest.setTimeout(30_000);

const PAYMENTS = { namespace: 'default', name: 'payments-team' };

async function openSettings(api = createK2AlertsApi()) {
  const user = setupUser();
  renderTeamSettings(api);
  const channels = await screen.findByRole('table', { name: 'Channels' });
  return { api, user, channels };
}

describe('Team alert settings', () => {
  it('shows a member the team’s channels, the webhook URL only masked, and every section', async () => {
    const { api, channels } = await openSettings();
    expect(
      screen.getByRole('heading', { name: 'Alert settings of Payments' }),
    ).toBeInTheDocument();
    expect(api.getTeamSettings).toHaveBeenCalledWith(PAYMENTS);
    const webhook = within(channels).getByRole('row', { name: /dingtalk/ });
    expect(webhook).toHaveTextContent('Webhook');
    expect(webhook).toHaveTextContent('https://oapi.dingtalk.example/…');
    expect(document.body).not.toHaveTextContent('s3cret');
    expect(
      within(channels).getByRole('checkbox', {
        name: 'Channel dingtalk enabled',
      }),
    ).toBeChecked();
    const quiet = screen.getByRole('region', { name: 'Quiet hours' });
    expect(within(quiet).getByLabelText('Time zone')).toHaveValue(
      'Asia/Shanghai',
    );
    expect(within(quiet).getByLabelText('From')).toHaveValue('22:00');
    expect(within(quiet).getByText('Runs over midnight')).toBeInTheDocument();
    const escalation = screen.getByRole('table', { name: 'Escalation' });
    expect(within(escalation).getAllByRole('spinbutton')).toHaveLength(2);
    expect(
      within(screen.getByRole('region', { name: 'Team lead' })).getByRole(
        'button',
        { name: /Lead/ },
      ),
    ).toHaveTextContent('Priya Raman');
    expect(
      screen.getByRole('button', { name: 'Save settings' }),
    ).toBeDisabled();
    expect(screen.getAllByText('No changes to save').length).toBeGreaterThan(0);
  });

  it('saves quiet hours off, a longer wait and a rota, keeping the stored webhook URL unsent', async () => {
    const { api, user } = await openSettings();
    const quiet = screen.getByRole('region', { name: 'Quiet hours' });
    await user.click(
      within(quiet).getByRole('checkbox', { name: 'Quiet hours' }),
    );
    expect(
      within(quiet).getByText(
        'No quiet hours: every incident is sent at any time.',
      ),
    ).toBeInTheDocument();

    const escalation = screen.getByRole('table', { name: 'Escalation' });
    const [firstWait] = within(escalation).getAllByRole('spinbutton');
    await user.clear(firstWait);
    await user.type(firstWait, '20');
    await user.click(
      within(escalation).getByRole('button', { name: 'Move level 2 up' }),
    );

    const rota = screen.getByRole('region', { name: 'On-call rota' });
    await user.click(
      within(rota).getByRole('checkbox', { name: 'On-call rota' }),
    );
    await user.click(
      within(rota).getByRole('button', { name: /Add a member/ }),
    );
    await user.click(screen.getByRole('option', { name: 'Dave Kim' }));
    await user.click(
      within(rota).getByRole('button', { name: /Add a member/ }),
    );
    await user.click(screen.getByRole('option', { name: 'Alice Chen' }));
    const period = within(rota).getByRole('spinbutton', {
      name: 'Turn (hours)',
    });
    await user.clear(period);
    await user.type(period, '24');
    fireEvent.change(within(rota).getByLabelText('First turn starts'), {
      target: { value: '2026-12-01T09:00' },
    });

    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Settings saved.',
    );
    const [team, sent] = api.updateTeamSettings.mock.calls[0];
    expect(team).toEqual(PAYMENTS);
    expect(sent.quietHours).toBeUndefined();
    expect(sent.escalation).toEqual([
      { target: 'lead', waitSeconds: 1800 },
      { target: 'team', waitSeconds: 1200 },
    ]);
    expect(sent.rota).toEqual({
      users: ['user:default/dave', 'user:default/alice'],
      periodHours: 24,
      startsAt: new Date('2026-12-01T09:00').toISOString(),
    });
    expect(sent.lead).toBe('user:default/priya');
    const webhook = sent.channels.find(c => c.id === 'dingtalk');
    expect(webhook).toEqual({
      id: 'dingtalk',
      type: 'webhook',
      enabled: true,
      template: '{{ title }} ({{ environment }})',
      payload: '{"msgtype": "text", "text": {"content": "{{ message }}"}}',
    });
    // Saved: nothing left to save, and the answer is what the form shows.
    expect(
      screen.getByRole('button', { name: 'Save settings' }),
    ).toBeDisabled();
  });

  it('edits a webhook’s template with a live preview from the backend and shows a payload that is no JSON on its field', async () => {
    const { api, user, channels } = await openSettings();
    await user.click(
      within(channels).getByRole('button', { name: 'Edit dingtalk' }),
    );
    const dialog = screen.getByRole('dialog', {
      name: 'Edit channel dingtalk',
    });
    expect(dialog).toHaveTextContent('Stored: https://oapi.dingtalk.example/…');
    const template = within(dialog).getByRole('textbox', {
      name: /Message template/,
    });
    await user.clear(template);
    await user.type(template, 'Alarm {{{{ service }}: {{{{ severity }}');
    const message = await within(dialog).findByLabelText('Message', {
      selector: 'pre',
    });
    await waitFor(() =>
      expect(message).toHaveTextContent('Alarm payment-gateway: critical'),
    );
    expect(api.previewTeamMessage).toHaveBeenLastCalledWith(PAYMENTS, {
      template: 'Alarm {{ service }}: {{ severity }}',
      payload: '{"msgtype": "text", "text": {"content": "{{ message }}"}}',
    });
    expect(
      within(dialog).getByLabelText('Webhook body', { selector: 'pre' }),
    ).toHaveTextContent('"content": "Alarm payment-gateway: critical"');

    const payload = within(dialog).getByRole('textbox', {
      name: /Payload template/,
    });
    await user.clear(payload);
    await user.type(payload, '{{"content": {{{{ message }}}');
    await waitFor(() =>
      expect(payload).toHaveAccessibleDescription(
        /The payload template does not render to JSON/,
      ),
    );

    await user.clear(payload);
    await user.click(
      within(dialog).getByRole('button', { name: 'Replace URL' }),
    );
    await user.type(
      within(dialog).getByRole('textbox', { name: /Webhook URL/ }),
      'https://chat.example/hook?token=new',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    const row = within(channels).getByRole('row', { name: /dingtalk/ });
    expect(row).toHaveTextContent('Alarm {{ service }}: {{ severity }}');
    expect(row).toHaveTextContent('https://chat.example/…');

    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByRole('status');
    const sent = api.updateTeamSettings.mock.calls[0][1];
    expect(sent.channels.find(c => c.id === 'dingtalk')).toEqual({
      id: 'dingtalk',
      type: 'webhook',
      enabled: true,
      template: 'Alarm {{ service }}: {{ severity }}',
      url: 'https://chat.example/hook?token=new',
    });
  });

  it('adds a webhook channel and removes the in-app one', async () => {
    const { api, user, channels } = await openSettings();
    await user.click(screen.getByRole('button', { name: 'Add channel' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a channel' });
    await user.type(
      within(dialog).getByRole('textbox', { name: /^Name/ }),
      'wecom',
    );
    await user.click(within(dialog).getByRole('button', { name: /^Type/ }));
    await user.click(screen.getByRole('option', { name: 'Webhook' }));
    expect(
      within(dialog).getByRole('button', { name: 'Apply' }),
    ).toBeDisabled();
    await user.type(
      within(dialog).getByRole('textbox', { name: /Webhook URL/ }),
      'http://127.0.0.1:9/hook',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));
    await within(channels).findByRole('row', { name: /wecom/ });
    await user.click(
      within(channels).getByRole('button', { name: 'Remove in-app' }),
    );
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByRole('status');
    const sent = api.updateTeamSettings.mock.calls[0][1];
    expect(sent.channels.map(c => c.id)).toEqual(['dingtalk', 'wecom']);
    expect(sent.channels[1]).toMatchObject({
      type: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      enabled: true,
    });
  });

  it('shows the backend’s refusal next to the section it names and keeps the edits', async () => {
    const api = createK2AlertsApi();
    api.updateTeamSettings.mockRejectedValueOnce(
      new K2ApiError('quietHours.timeZone: Mars/Olympus is no time zone', 400, {
        error: {
          name: 'InputError',
          message: 'quietHours.timeZone: Mars/Olympus is no time zone',
        },
      }),
    );
    const { user } = await openSettings(api);
    const quiet = screen.getByRole('region', { name: 'Quiet hours' });
    fireEvent.change(within(quiet).getByLabelText('Until'), {
      target: { value: '06:30' },
    });
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await within(quiet).findByRole('alert')).toHaveTextContent(
      'quietHours.timeZone: Mars/Olympus is no time zone',
    );
    expect(
      within(screen.getByRole('region', { name: 'Escalation' })).queryByRole(
        'alert',
      ),
    ).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'The settings were not saved: quietHours.timeZone: Mars/Olympus is no time zone',
      ),
    ).toBeInTheDocument();
    expect(within(quiet).getByLabelText('Until')).toHaveValue('06:30');
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('asks before leaving with unsaved changes', async () => {
    const { user, channels } = await openSettings();
    await user.click(
      within(channels).getByRole('checkbox', {
        name: 'Channel dingtalk enabled',
      }),
    );
    await user.click(
      screen.getByRole('link', { name: 'Back to the Alerts overview' }),
    );
    const ask = screen.getByRole('dialog', { name: 'Leave without saving?' });
    await user.click(within(ask).getByRole('button', { name: 'Stay' }));
    expect(
      await screen.findByRole('checkbox', { name: 'Channel dingtalk enabled' }),
    ).not.toBeChecked();
    await user.click(
      screen.getByRole('link', { name: 'Back to the Alerts overview' }),
    );
    await user.click(
      within(
        screen.getByRole('dialog', { name: 'Leave without saving?' }),
      ).getByRole('button', { name: 'Leave' }),
    );
    expect(
      await screen.findByRole('heading', { name: 'Alerts' }),
    ).toBeInTheDocument();
  });
});
