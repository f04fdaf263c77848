import { screen, within } from '@testing-library/react';
import {
  k2ReactMessages,
  translationProblems,
  NestedMessages,
  k2ReactZh,
} from '@internal/plugin-k2-react';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { createK2DeployApi } from './__testUtils__/mockK2DeployApi';
import { renderDeployTab } from './__testUtils__/render';
import { k2DeployMessages } from './translation';
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

describe('Deploy tab translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2DeployMessages, zh.messages)).toEqual([]);
  });

  it('shows the History view in Simplified Chinese with no English K2 words left', async () => {
    renderDeployTab(createK2DeployApi(), {
      path: '/deploy/history?environment=test',
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    const history = within(
      await screen.findByRole('region', { name: 'Test 发布历史' }),
    );
    await history.findByRole('button', { name: '回滚到 #6' });
    expect(screen.getByRole('tab', { name: '概览' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '对比所选版本' })).toBeDisabled();
    expect(history.getAllByText('成功')).toHaveLength(2);

    const patterns = [
      ...englishPatterns(k2DeployMessages, zh.messages),
      ...englishPatterns(k2ReactMessages, k2ReactZh.messages),
    ];
    const left = shownTexts().filter(text =>
      patterns.some(pattern => pattern.test(text)),
    );
    expect(left).toEqual([]);
  });
});
