import { screen, within } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2DeployApi } from './__testUtils__/mockK2DeployApi';
import { renderDeployTab } from './__testUtils__/render';
import { k2DeployMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

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

    const left = untranslatedTexts([
      { english: k2DeployMessages, translated: zh.messages },
      { english: k2ReactMessages, translated: k2ReactZh.messages },
    ]);
    expect(left).toEqual([]);
  });
});
