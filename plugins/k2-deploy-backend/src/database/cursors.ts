import { InputError } from '@backstage/errors';

const refused = () =>
  new InputError("'before' is not a cursor from a previous page");

/**
 * The `before` cursor of a page ordered by a number (a release number).
 *
 * @throws InputError when it is not a positive integer K2 could have given
 */
export function numberCursor(before: string): number {
  const n = Number(before);
  if (!/^[1-9][0-9]{0,15}$/.test(before) || !Number.isSafeInteger(n)) {
    throw refused();
  }
  return n;
}

/**
 * The `before` cursor of a page ordered by time, then id: `<ISO time>|<id>`.
 *
 * @throws InputError when it is not a cursor K2 could have given
 */
export function timeCursor(before: string): { at: string; id: string } {
  const bar = before.indexOf('|');
  const at = bar < 0 ? '' : before.slice(0, bar);
  const id = bar < 0 ? '' : before.slice(bar + 1);
  const time = Date.parse(at);
  if (
    !id ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(at) ||
    Number.isNaN(time) ||
    new Date(time).toISOString() !== at
  ) {
    throw refused();
  }
  return { at, id };
}
