import {
  createFrontendModule,
  createTranslationResource,
} from '@backstage/frontend-plugin-api';
import { TranslationBlueprint } from '@backstage/plugin-app-react';
import { searchTranslationRef } from '@backstage/plugin-search';
import { k2AlertsTranslations } from '@internal/plugin-k2-alerts';
import { k2BuildsTranslations } from '@internal/plugin-k2-builds';
import { k2ConfigTranslations } from '@internal/plugin-k2-config';
import { k2DeployTranslations } from '@internal/plugin-k2-deploy';
import { k2MiddlewareTranslations } from '@internal/plugin-k2-middleware-store';
import { k2ReactTranslations } from '@internal/plugin-k2-react';
import { k2StorageTranslations } from '@internal/plugin-k2-storage';
import { k2TrafficTranslations } from '@internal/plugin-k2-traffic';
import { k2AppTranslations } from './translation';

/** The search plugin's Chinese for the Search item of K2's nav. */
const searchTranslations = createTranslationResource({
  ref: searchTranslationRef,
  translations: { zh: () => import('./zh/search') },
});

/**
 * K2's languages besides English: Simplified Chinese (`zh`) for every K2 translation
 * ref, and for the search plugin's word in K2's nav. The user picks the language in
 * Settings, which lists the languages of `api:app/app-language`'s
 * `availableLanguages` (app-config.yaml).
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
      name: 'k2-builds',
      params: { resource: k2BuildsTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-deploy',
      params: { resource: k2DeployTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-traffic',
      params: { resource: k2TrafficTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-config',
      params: { resource: k2ConfigTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-storage',
      params: { resource: k2StorageTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-alerts',
      params: { resource: k2AlertsTranslations },
    }),
    TranslationBlueprint.make({
      name: 'k2-middleware-store',
      params: { resource: k2MiddlewareTranslations },
    }),
    TranslationBlueprint.make({
      name: 'search',
      params: { resource: searchTranslations },
    }),
  ],
});

export { k2AppMessages, k2AppTranslationRef } from './translation';
