import { screen, within } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  setupUser,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2BuildsApi } from './__testUtils__/mockK2BuildsApi';
import { renderBuildsTab } from './__testUtils__/render';
import { k2BuildsMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

describe('Builds tab translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2BuildsMessages, zh.messages)).toEqual([]);
  });

  it('shows the builds and a build’s drawer in Simplified Chinese with no English K2 words left', async () => {
    const user = setupUser();
    renderBuildsTab(createK2BuildsApi(), {
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    const table = await screen.findByRole('table', { name: '构建历史' });
    expect(within(table).getByRole('row', { name: /^#2 / })).toHaveTextContent(
      '成功',
    );
    await user.click(within(table).getByRole('row', { name: /^#1 / }));
    const drawer = await screen.findByRole('dialog', { name: '构建 #1' });
    await within(drawer).findByText(/npm ERR! missing script: build/);
    // What the backend said (a build's reason) is shown in its own words.
    const left = untranslatedTexts(
      [
        { english: k2BuildsMessages, translated: zh.messages },
        { english: k2ReactMessages, translated: k2ReactZh.messages },
      ],
      ['RUN npm ci && npm run build exited with 1 (line 4)'],
    );
    expect(left).toEqual([]);
  });
});
