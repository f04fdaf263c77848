import { screen, within } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  setupUser,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2MiddlewareStoreApi } from './__testUtils__/mockK2MiddlewareStoreApi';
import { renderMiddlewareTab } from './__testUtils__/render';
import { k2MiddlewareMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

const refs = [
  { english: k2MiddlewareMessages, translated: zh.messages },
  { english: k2ReactMessages, translated: k2ReactZh.messages },
];

/**
 * What the backend words and the tab shows as it is: lifecycle event summaries, an
 * approval's reason, and the one parameter title the Redis template leaves without
 * Chinese (shown in its English). Every other template text shows in Chinese.
 */
const SHOWN_AS_IS = [
  'Created redis-7 in test',
  'Reminded payments-team: expires in 2 days',
  'The ledger service needs its database',
  'Eviction policy',
];

describe('Middleware translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2MiddlewareMessages, zh.messages)).toEqual([]);
  });

  it('shows the tab, an instance’s drawer and the create form in Simplified Chinese with no English K2 words left', async () => {
    const user = setupUser();
    renderMiddlewareTab(createK2MiddlewareStoreApi(), {
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    const table = await screen.findByRole('table', {
      name: /^payment-gateway-\d+ 的中间件$/,
    });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    await user.click(
      within(table).getByRole('row', { name: '打开 orders-cache' }),
    );
    const drawer = await screen.findByRole('dialog', { name: 'orders-cache' });
    await within(drawer).findByRole('table', { name: '生命周期' });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    await user.click(
      within(drawer).getByRole('button', { name: '显示连接信息' }),
    );
    await within(drawer).findByRole('table', { name: '环境变量' });
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
    await user.click(within(drawer).getByRole('button', { name: '关闭' }));

    await user.click(screen.getByRole('button', { name: '创建中间件' }));
    const dialog = await screen.findByRole('dialog', {
      name: /^为 payment-gateway-\d+ 创建中间件$/,
    });
    await within(dialog).findByText('1 — 模板默认值');
    expect(untranslatedTexts(refs, SHOWN_AS_IS)).toEqual([]);
  });
});
