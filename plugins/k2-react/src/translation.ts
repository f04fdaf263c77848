import {
  createTranslationRef,
  createTranslationResource,
} from '@backstage/frontend-plugin-api';

/**
 * The words of K2's shared components, in English (the default). Every other language
 * lives in `translations/<language>.ts` with exactly these keys and the same
 * `{{placeholders}}`; the key-parity test holds them to it. Components take overrides
 * as props where the caller knows better words.
 */
export const k2ReactMessages = {
  cancel: 'Cancel',
  preview: 'What will change',
  environment: 'Environment',
  subViews: 'Views',
} as const;

/** The shared K2 components' translation ref (`k2-react`), English by default. */
export const k2ReactTranslationRef = createTranslationRef({
  id: 'k2-react',
  messages: k2ReactMessages,
});

/**
 * The shared components' other languages, loaded when the user picks one; the app
 * registers it (a `TranslationBlueprint` extension) next to `availableLanguages`.
 */
export const k2ReactTranslations = createTranslationResource({
  ref: k2ReactTranslationRef,
  translations: {
    zh: () => import('./translations/zh'),
  },
});
