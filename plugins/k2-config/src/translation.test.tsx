import { screen } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2ConfigApi } from './__testUtils__/mockK2ConfigApi';
import { renderConfigTab } from './__testUtils__/render';
import { k2ConfigMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

describe('Config tab translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2ConfigMessages, zh.messages)).toEqual([]);
  });

  it.each([
    ['/config', { role: 'table', name: 'Test 的配置文件' }],
    [
      '/config?environment=test&file=application.yaml',
      { role: 'table', name: 'application.yaml 的版本' },
    ],
  ])(
    'shows %s in Simplified Chinese with no English K2 words left',
    async (path, loaded) => {
      renderConfigTab(createK2ConfigApi(), {
        path,
        language: languageApis('zh', [zh, k2ReactZh]),
      });
      await screen.findByRole(loaded.role, { name: loaded.name });
      const left = untranslatedTexts([
        { english: k2ConfigMessages, translated: zh.messages },
        { english: k2ReactMessages, translated: k2ReactZh.messages },
      ]);
      expect(left).toEqual([]);
    },
  );
});
