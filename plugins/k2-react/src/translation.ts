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
  diff: {
    changes_one: '{{count}} change',
    changes_other: '{{count}} changes',
    summary: '{{total}}: {{parts}}',
    separator: ', ',
    changed_one: '{{count}} changed',
    changed_other: '{{count}} changed',
    added_one: '{{count}} added',
    added_other: '{{count}} added',
    removed_one: '{{count}} removed',
    removed_other: '{{count}} removed',
    noChanges: 'No differences',
    lines: 'Lines',
    changesOnly: 'Changes only',
    allLines: 'All lines',
    layout: 'Layout',
    split: 'Side by side',
    unified: 'Unified',
    showUnchanged_one: 'Show {{count}} unchanged line',
    showUnchanged_other: 'Show {{count}} unchanged lines',
    removedLine: 'Removed:',
    addedLine: 'Added:',
    maskedChanged: 'value changed',
    lineNumber: 'Line number',
  },
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
