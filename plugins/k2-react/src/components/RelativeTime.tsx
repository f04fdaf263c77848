import Tooltip from '@material-ui/core/Tooltip';

/**
 * "3 min ago" for an ISO time, in the browser's language. Past a day it shows the
 * date; the exact time is always in the tooltip and in `<time dateTime>`.
 */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 45) return format.format(Math.round(seconds), 'second');
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) {
    return format.format(Math.round(seconds / 86_400), 'day');
  }
  return new Date(iso).toLocaleDateString();
}

/** The absolute time as people read it, in the browser's language and time zone. */
export function absoluteTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/**
 * A point in time, relative ("5 min ago") with the absolute time on hover. The one way
 * K2 shows a time in a table, a card or a drawer; nothing (an em dash) when unknown.
 */
export function RelativeTime(props: { value?: string; prefix?: string }) {
  if (!props.value) return <>—</>;
  const absolute = absoluteTime(props.value);
  return (
    <Tooltip title={absolute}>
      <time
        dateTime={props.value}
        style={{ whiteSpace: 'nowrap' }}
        aria-label={`${props.prefix ?? ''}${absolute}`}
      >
        {props.prefix}
        {relativeTime(props.value)}
      </time>
    </Tooltip>
  );
}
