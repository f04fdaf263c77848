import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { languageApis } from '@internal/plugin-k2-react/testUtils';
import { deployTab } from './plugin';

describe('the Deploy tab on service pages', () => {
  it('is titled in the language the user chose in Settings', () => {
    const title = (language: string) =>
      createExtensionTester(deployTab, {
        apis: languageApis(language, []),
      }).get(EntityContentBlueprint.dataRefs.title);

    expect(title('zh')).toBe('发布');
    expect(title('en')).toBe('Deploy');
    // A language K2 has no words for reads English, as the rest of the tab does.
    expect(title('fr')).toBe('Deploy');
  });
});
