import { Fragment, isValidElement, ReactNode } from 'react';
import {
  AppLanguageApi,
  appLanguageApiRef,
  TranslationApi,
  translationApiRef,
  TranslationMessages,
  TranslationRef,
} from '@backstage/frontend-plugin-api';
import { mockApis } from '@backstage/frontend-test-utils';

type Values = Record<string, unknown> & { count?: number };

/** A subscription to something that never changes in a test. */
const still = {
  subscribe: () => ({ closed: false, unsubscribe() {} }),
};

/**
 * What a user who picked `language` in Settings gets: the given translations (the
 * messages of K2's translation resources for that language) for their refs, times
 * formatted in that language, and every other ref (core-components') in English. A
 * key the translation lacks throws, so a test cannot pass on English fallbacks.
 * Plurals follow the language's rules (`_one`, `_other`) and `{{values}}` may be
 * elements, as with the app's own translation API.
 */
export function languageApis(
  language: string,
  translations: TranslationMessages[],
) {
  const english = mockApis.translation();
  const plural = new Intl.PluralRules(language);
  const byId = new Map(translations.map(m => [m.id, m.messages]));

  const translate =
    (ref: TranslationRef, messages: Record<string, string | null>) =>
    (key: string, values: Values = {}): ReactNode => {
      const pluralKey =
        values.count === undefined
          ? undefined
          : `${key}_${plural.select(values.count)}`;
      const message =
        (pluralKey && messages[pluralKey]) ?? messages[key] ?? undefined;
      if (!message) {
        throw new Error(`${ref.id}: no ${language} message for ${key}`);
      }
      const parts = message
        .split(/\{\{\s*(\w+)\s*\}\}/)
        .map((part, i) => (i % 2 ? values[part] : part));
      if (!parts.some(isValidElement)) return parts.join('');
      return (
        <>
          {parts.map((part, i) => (
            <Fragment key={i}>{part as ReactNode}</Fragment>
          ))}
        </>
      );
    };

  const getTranslation = (ref: TranslationRef) => {
    const messages = byId.get(ref.id);
    if (!messages) return english.getTranslation(ref);
    return { ready: true, t: translate(ref, messages) };
  };
  const translationApi = {
    getTranslation,
    translation$: () => still,
  } as unknown as TranslationApi;
  const languageApi: AppLanguageApi = {
    getAvailableLanguages: () => ({ languages: ['en', language] }),
    getLanguage: () => ({ language }),
    setLanguage() {},
    language$: () =>
      still as unknown as ReturnType<AppLanguageApi['language$']>,
  };
  return [
    [translationApiRef, translationApi],
    [appLanguageApiRef, languageApi],
  ] as const;
}
