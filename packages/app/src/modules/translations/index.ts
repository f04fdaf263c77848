import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { TranslationBlueprint } from '@backstage/plugin-app-react';
import { k2DeployTranslations } from '@internal/plugin-k2-deploy';
import { k2ReactTranslations } from '@internal/plugin-k2-react';
import { k2AppTranslations } from './translation';

/**
 * K2's languages besides English: Simplified Chinese (`zh`) for every K2 translation
 * ref. The user picks the language in Settings, which lists the languages of
 * `api:app/app-language`'s `availableLanguages` (app-config.yaml).
 */
export const k2TranslationsModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    TranslationBlueprint.make({
      name: 'k2-app',
      params: { resource: k2AppTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-react',
      params: { resource: k2ReactTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-deploy',
      params: { resource: k2DeployTranslations },
    }),
  ],
});

export { k2AppMessages, k2AppTranslationRef } from './translation';
