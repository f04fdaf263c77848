import { AppLanguageApi } from '@backstage/frontend-plugin-api';

/**
 * The Middleware tab's title in each language K2 speaks. Chosen here rather than in
 * the `k2-middleware-store` translation ref for the reason the Deploy tab gives
 * (k2-deploy `tabTitle.ts`): the catalog takes an entity tab's title as a plain string
 * at app start, before a language's messages are loaded.
 */
export const middlewareTabTitles: { en: string } & Record<string, string> = {
  en: 'Middleware',
  zh: '中间件',
};

/** The Middleware tab's title in the app's current language, English when it has none. */
export function middlewareTabTitle(
  languageApi: AppLanguageApi | undefined,
): string {
  const language = languageApi?.getLanguage().language ?? 'en';
  return middlewareTabTitles[language] ?? middlewareTabTitles.en;
}
