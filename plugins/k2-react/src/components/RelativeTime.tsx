import { useEffect, useState } from 'react';
import Tooltip from '@material-ui/core/Tooltip';
import {
  appLanguageApiRef,
  useApiHolder,
} from '@backstage/frontend-plugin-api';

/**
 * The language the user chose in Settings (the app language API), for formatting
 * times; undefined (the browser's language) where the app has no language API.
 */
export function useAppLocale(): string | undefined {
  const languageApi = useApiHolder().get(appLanguageApiRef);
  const [language, setLanguage] = useState(
    () => languageApi?.getLanguage().language,
  );
  useEffect(() => {
    if (!languageApi) return undefined;
    const subscription = languageApi
      .language$()
      .subscribe(next => setLanguage(next.language));
    return () => subscription.unsubscribe();
  }, [languageApi]);
  return language;
}

/**
 * "3 min ago" for an ISO time, in `locale` (the browser's language when unset). Past a day it shows the
 * date; the exact time is always in the tooltip and in `<time dateTime>`.
 */
export function relativeTime(
  iso: string,
  now = Date.now(),
  locale?: string,
): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return format.format(Math.round(seconds), 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) {
    return format.format(Math.round(seconds / 86_400), 'day');
  }
  return new Date(iso).toLocaleDateString(locale);
}

/**
 * The absolute time as people read it, in `locale` (the browser's language when
 * unset) and the browser's time zone.
 */
export function absoluteTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleString(locale);
}

/**
 * A point in time, relative ("5 min ago") with the absolute time on hover. The one way
 * K2 shows a time in a table, a card or a drawer, in the language chosen in Settings;
 * nothing (an em dash) when unknown.
 */
export function RelativeTime(props: { value?: string; prefix?: string }) {
  const locale = useAppLocale();
  if (!props.value) return <>—</>;
  const absolute = absoluteTime(props.value, locale);
  return (
    <Tooltip title={absolute}>
      <time
        dateTime={props.value}
        style={{ whiteSpace: 'nowrap' }}
        aria-label={`${props.prefix ?? ''}${absolute}`}
      >
        {props.prefix}
        {relativeTime(props.value, Date.now(), locale)}
      </time>
    </Tooltip>
  );
}
