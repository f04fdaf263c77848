import {
  k2AlertsMessages,
  k2AlertsTranslationRef,
} from '@internal/plugin-k2-alerts/src/translation';
import k2AlertsZh from '@internal/plugin-k2-alerts/src/translations/zh';
import {
  k2BuildsMessages,
  k2BuildsTranslationRef,
} from '@internal/plugin-k2-builds/src/translation';
import { buildsTabTitles } from '@internal/plugin-k2-builds/src/tabTitle';
import k2BuildsZh from '@internal/plugin-k2-builds/src/translations/zh';
import {
  k2DeployMessages,
  k2DeployTranslationRef,
} from '@internal/plugin-k2-deploy/src/translation';
import { deployTabTitles } from '@internal/plugin-k2-deploy/src/tabTitle';
import k2DeployZh from '@internal/plugin-k2-deploy/src/translations/zh';
import {
  k2AppMessages,
  k2AppTranslationRef,
} from '../src/modules/translations/translation';
import k2AppZh from '../src/modules/translations/zh/k2App';

type NestedMessages = { [key in string]: NestedMessages | string };

function flatten(
  messages: NestedMessages,
  prefix = '',
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(messages)) {
    if (typeof value === 'string') flat[`${prefix}${key}`] = value;
    else Object.assign(flat, flatten(value, `${prefix}${key}.`));
  }
  return flat;
}

/**
 * A message of one translation ref in one language, its `{{placeholders}}` filled in
 * as the app fills them. A key the language lacks throws, so a test never waits for
 * words the app cannot show.
 */
export type Say<TKey extends string> = (
  key: TKey,
  values?: Record<string, string>,
) => string;

function sayer<TKey extends string>(
  messages: Record<string, string>,
): Say<TKey> {
  return (key, values = {}) => {
    const message = messages[key];
    if (message === undefined) throw new Error(`no message '${key}'`);
    return message.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
      if (values[name] === undefined) {
        throw new Error(`message '${key}' needs {{${name}}}`);
      }
      return values[name];
    });
  };
}

/** The words K2 shows in one language: the same resources the app registers. */
export interface Words {
  /** The language's code, as Settings stores it under `language`. */
  language: string;
  /** The Deploy tab's title on a service page. */
  deployTab: string;
  deploy: Say<keyof typeof k2DeployTranslationRef.T & string>;
  app: Say<keyof typeof k2AppTranslationRef.T & string>;
  /** The Alerts tab, overview and team settings. */
  alerts: Say<keyof typeof k2AlertsTranslationRef.T & string>;
  /** The Builds tab's title on a service page. */
  buildsTab: string;
  builds: Say<keyof typeof k2BuildsTranslationRef.T & string>;
}

/** The languages app-config.yaml offers (`availableLanguages`), English first. */
export const LANGUAGES: Words[] = [
  {
    language: 'en',
    deployTab: deployTabTitles.en,
    deploy: sayer(flatten(k2DeployMessages)),
    app: sayer(flatten(k2AppMessages)),
    alerts: sayer(flatten(k2AlertsMessages)),
    buildsTab: buildsTabTitles.en,
    builds: sayer(flatten(k2BuildsMessages)),
  },
  {
    language: 'zh',
    deployTab: deployTabTitles.zh,
    deploy: sayer(k2DeployZh.messages as Record<string, string>),
    app: sayer(k2AppZh.messages as Record<string, string>),
    alerts: sayer(k2AlertsZh.messages as Record<string, string>),
    buildsTab: buildsTabTitles.zh,
    builds: sayer(k2BuildsZh.messages as Record<string, string>),
  },
];

/** The words of one of {@link LANGUAGES}, by its code. */
export function wordsIn(language: string): Words {
  const words = LANGUAGES.find(w => w.language === language);
  if (!words) throw new Error(`no language '${language}'`);
  return words;
}
