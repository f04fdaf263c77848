import { screen } from '@testing-library/react';
import {
  k2ReactMessages,
  translationProblems,
  NestedMessages,
  k2ReactZh,
} from '@internal/plugin-k2-react';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { clusters } from './__testUtils__/fixtures';
import { createK2TrafficApi } from './__testUtils__/mockK2TrafficApi';
import { renderTrafficTab } from './__testUtils__/render';
import { k2TrafficMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

/**
 * Every English message of a ref that reads differently in the translation, as a
 * pattern that matches the whole message with any values in its placeholders.
 */
function englishPatterns(
  english: NestedMessages,
  translated: Record<string, string | null>,
): RegExp[] {
  const patterns: RegExp[] = [];
  const walk = (messages: NestedMessages, prefix: string) => {
    for (const [key, value] of Object.entries(messages)) {
      if (typeof value !== 'string') walk(value, `${prefix}${key}.`);
      else if (translated[`${prefix}${key}`] !== value) {
        const fixed = value
          .trim()
          .split(/\{\{\s*\w+\s*\}\}/)
          .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        patterns.push(new RegExp(`^${fixed.join('.+')}$`));
      }
    }
  };
  walk(english, '');
  return patterns;
}

/** What the user reads or hears: every text on the page and every aria-label. */
function shownTexts(): string[] {
  const texts: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) texts.push(walker.currentNode.textContent ?? '');
  document
    .querySelectorAll('[aria-label]')
    .forEach(e => texts.push(e.getAttribute('aria-label') ?? ''));
  return texts.map(text => text.trim()).filter(Boolean);
}

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
      const patterns = [
        ...englishPatterns(k2TrafficMessages, zh.messages),
        ...englishPatterns(k2ReactMessages, k2ReactZh.messages),
      ];
      // What a host's Nginx said is shown as Nginx words it (and k2-react's
      // '{{total}}: {{parts}}' would match any 'nginx: …' line).
      const hostErrors = clusters().items.flatMap(c =>
        c.hosts.flatMap(h => (h.error ? [h.error] : [])),
      );
      const left = shownTexts().filter(
        text =>
          !hostErrors.includes(text) &&
          patterns.some(pattern => pattern.test(text)),
      );
      expect(left).toEqual([]);
    },
  );
});
