import { screen } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { clusters } from './__testUtils__/fixtures';
import { createK2TrafficApi } from './__testUtils__/mockK2TrafficApi';
import { renderTrafficTab } from './__testUtils__/render';
import { k2TrafficMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

describe('Traffic tab translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2TrafficMessages, zh.messages)).toEqual([]);
  });

  it.each([
    ['/traffic', { role: 'table', name: 'edge-test 的 Nginx 主机' }],
    [
      '/traffic/site?environment=test',
      { role: 'group', name: 'app 的手动成员' },
    ],
    [
      '/traffic/versions?environment=test',
      { role: 'table', name: 'Test 站点版本' },
    ],
  ])(
    'shows %s in Simplified Chinese with no English K2 words left',
    async (path, loaded) => {
      renderTrafficTab(createK2TrafficApi(), {
        path,
        language: languageApis('zh', [zh, k2ReactZh]),
      });
      await screen.findByRole(loaded.role, { name: loaded.name });
      expect(screen.getByRole('tab', { name: '概览' })).toBeInTheDocument();
      // What a host's Nginx said is shown as Nginx words it (and k2-react's
      // '{{total}}: {{parts}}' would match any 'nginx: …' line).
      const hostErrors = clusters().items.flatMap(c =>
        c.hosts.flatMap(h => (h.error ? [h.error] : [])),
      );
      const left = untranslatedTexts(
        [
          { english: k2TrafficMessages, translated: zh.messages },
          { english: k2ReactMessages, translated: k2ReactZh.messages },
        ],
        hostErrors,
      );
      expect(left).toEqual([]);
    },
  );
});
