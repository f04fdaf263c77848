import { screen } from '@testing-library/react';
import { k2ReactMessages, k2ReactZh } from '@internal/plugin-k2-react';
import {
  languageApis,
  translationProblems,
  untranslatedTexts,
} from '@internal/plugin-k2-react/testUtils';
import { createK2StorageApi } from './__testUtils__/mockK2StorageApi';
import { renderStorageTab } from './__testUtils__/render';
import { k2StorageMessages } from './translation';
import zh from './translations/zh';

jest.setTimeout(30_000);

describe('Storage tab translations', () => {
  it('Simplified Chinese has every English key, no other, and keeps every placeholder', () => {
    expect(translationProblems(k2StorageMessages, zh.messages)).toEqual([]);
  });

  it('shows the volumes in Simplified Chinese with no English K2 words left', async () => {
    renderStorageTab(createK2StorageApi(), {
      language: languageApis('zh', [zh, k2ReactZh]),
    });
    await screen.findByRole('table', { name: 'Test 的存储卷' });
    // What the cluster said about a Pending claim is shown in its own words.
    const left = untranslatedTexts(
      [
        { english: k2StorageMessages, translated: zh.messages },
        { english: k2ReactMessages, translated: k2ReactZh.messages },
      ],
      [
        'ProvisioningFailed: failed to provision volume with StorageClass "standard": no space left on node',
      ],
    );
    expect(left).toEqual([]);
  });
});
