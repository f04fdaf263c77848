import { AppLanguageApi } from '@backstage/frontend-plugin-api';

/**
 * The Builds tab's title in each language K2 speaks. Chosen here rather than in the
 * `k2-builds` translation ref for the reason the Deploy tab gives (k2-deploy
 * `tabTitle.ts`): the catalog takes an entity tab's title as a plain string at app
 * start, before a language's messages are loaded.
 */
export const buildsTabTitles: { en: string } & Record<string, string> = {
  en: 'Builds',
  zh: '构建',
};

/** The Builds tab's title in the app's current language, English when it has none. */
export function buildsTabTitle(
  languageApi: AppLanguageApi | undefined,
): string {
  const language = languageApi?.getLanguage().language ?? 'en';
  return buildsTabTitles[language] ?? buildsTabTitles.en;
}
