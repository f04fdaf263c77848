import { AppLanguageApi } from '@backstage/frontend-plugin-api';

/**
 * The Deploy tab's title in each language K2 speaks (app-config's
 * `availableLanguages`). Not in the `k2-deploy` translation ref: the catalog takes an
 * entity tab's title as a plain string when it builds the entity page, at app start,
 * before a language's messages can be loaded (the translation API loads every
 * language but English lazily), so the title is chosen here from the language the
 * user picked in Settings. A language picked later names the tab from the next page
 * load on.
 */
export const deployTabTitles: { en: string } & Record<string, string> = {
  en: 'Deploy',
  zh: '发布',
};

/** The Deploy tab's title in the app's current language, English when it has none. */
export function deployTabTitle(
  languageApi: AppLanguageApi | undefined,
): string {
  const language = languageApi?.getLanguage().language ?? 'en';
  return deployTabTitles[language] ?? deployTabTitles.en;
}
