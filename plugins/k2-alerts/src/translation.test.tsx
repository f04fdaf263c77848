import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { screen, within } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  setupUser,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2AlertsApi } from './__testUtils__/mockK2AlertsApi';
import { renderAlertsTab } from './__testUtils__/render';
import { renderTeamSettings } from './__testUtils__/renderTeamSettings';
import { k2AlertsMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

const refs = [
  { english: k2AlertsMessages, translated: zh.messages },
  { english: k2ReactMessages, translated: k2ReactZh.messages },
];

/**
 * What the backend words and the page shows as it is: an incident's title, a custom
 * template's title and parameter inside a condition, a delivery's refusal, a team's
 * message template. Each
 * happens to read like an English message ("OOMKilled"; "a: b" as the diff summary
 * reads).
 */
const SHOWN_AS_IS = [
  'OOMKilled',
  'Slow queries: latency 3，持续 10m',
  'promtool: group "payment-gateway": 1 error',
  // A team's message and payload templates as the team wrote them.
  '{{ title }} ({{ environment }})',
  '{"msgtype": "text", "text": {"content": "{{ message }}"}}',
  // Template syntax in the channel form's hints, and a preview the backend rendered.
  '{{ field }}',
  '{{ message }}',
  '{"text": "<message>"}',
  'Memory of payment-gateway over 90 % of the limit for 5m (prod)',
];

describe('Alerts translations', () => {
  it('has the words of every built-in template, as the backend’s files write them in English', () => {
    const dir = resolve(__dirname, '../../k2-alerts-backend/templates');
    const files = fs
      .readdirSync(dir)
      .filter(file => file.endsWith('.yaml'))
      .map(file => fs.readFileSync(join(dir, file), 'utf8'));
    const fromFiles = Object.fromEntries(
      files.map(text => [
        text.match(/^id: (.+)$/m)![1],
        text.match(/^title: (.+)$/m)![1],
      ]),
    );
    expect(
      Object.fromEntries(
        Object.entries(k2AlertsMessages.builtinTemplates).map(([id, words]) => [
          id,
          words.title,
        ]),
      ),
    ).toEqual(fromFiles);
  });

  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2AlertsMessages, zh.messages)).toEqual([]);
  });

  it.each([
    ['/alerts', { role: 'table', name: '未恢复的故障' }],
    ['/alerts/rules', { role: 'table', name: 'Test 的告警规则' }],
    ['/alerts/history', { role: 'table', name: '告警历史' }],
  ])(
    'shows %s in Simplified Chinese with no English K2 words left',
    async (path, loaded) => {
      renderAlertsTab(createK2AlertsApi(), {
        path,
        language: languageApis('zh', [zh, k2ReactZh]),
      });
      await screen.findByRole(loaded.role, { name: loaded.name });
      expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    },
  );

  it('shows an incident’s drawer and the new rule dialog with its preview in Simplified Chinese', async () => {
    const user = setupUser();
    renderAlertsTab(createK2AlertsApi(), {
      path: '/alerts?incident=inc-memory',
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    const drawer = await screen.findByRole('dialog', { name: 'High memory' });
    await within(drawer).findByRole('table', { name: '告警' });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    await user.click(within(drawer).getByRole('button', { name: '关闭' }));

    await user.click(screen.getByRole('tab', { name: '告警规则' }));
    await screen.findByRole('table', { name: 'Test 的告警规则' });
    await user.click(screen.getByRole('button', { name: '新建规则' }));
    const dialog = screen.getByRole('dialog', {
      name: '在 Test 新建告警规则',
    });
    await user.type(
      within(dialog).getByRole('textbox', { name: /^名称/ }),
      'High memory 90',
    );
    await within(dialog).findByRole('table', { name: '实时预览' });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
  });

  it('shows a team’s alert settings and a channel’s live preview in Simplified Chinese', async () => {
    const user = setupUser();
    renderTeamSettings(createK2AlertsApi(), {
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    await screen.findByRole('table', { name: '通知渠道' });
    expect(screen.getByRole('table', { name: '升级策略' })).toBeInTheDocument();
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    await user.click(screen.getByRole('button', { name: '编辑 dingtalk' }));
    const dialog = screen.getByRole('dialog', { name: '编辑渠道 dingtalk' });
    await within(dialog).findByLabelText('Webhook 请求体', { selector: 'pre' });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
  });
});
