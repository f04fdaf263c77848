/**
 * What user values may look like where they end up in Nginx config. Each check names
 * what is wrong without quoting more of the value than needed.
 */

/**
 * Characters that end a directive, open or close a block, quote, start a comment,
 * escape, or expand a variable in Nginx config — and every control character (a
 * newline starts a new directive).
 */
// eslint-disable-next-line no-control-regex
const NGINX_SYNTAX = /[;{}"'`\\$#\u0000-\u001f\u007f]/;

/**
 * Why `text` could change the meaning of the config around it, or undefined when it
 * cannot: a free text becomes one quoted or bare word and nothing more.
 */
export function unsafeTextProblem(text: string): string | undefined {
  const match = NGINX_SYNTAX.exec(text);
  if (!match) return undefined;
  const char = match[0];
  const shown =
    char < ' ' || char === '\u007f'
      ? `control character U+${char
          .charCodeAt(0)
          .toString(16)
          .padStart(4, '0')}`
      : `'${char}'`;
  return `may not contain ${shown} (Nginx syntax: ; { } quotes \\ $ # and control characters are refused)`;
}

const LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})+$`);
const HOST_NAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-f:]{2,39}$/i;

/** A server name: a lowercase domain, optionally with a leading `*.`. */
export function isDomain(value: string): boolean {
  return value.length <= 253 && DOMAIN.test(value);
}

/** How a member address is written in an upstream `server` line, or undefined. */
export function memberHost(address: string): string | undefined {
  if (IPV4.test(address)) return address;
  if (IPV6.test(address) && address.includes(':')) {
    // Enough structure for Nginx to parse it as one address; `nginx -t` checks the rest.
    const groups = address.split(':');
    if (groups.length >= 3 && groups.length <= 8) return `[${address}]`;
    return undefined;
  }
  if (address.length <= 253 && HOST_NAME.test(address)) return address;
  return undefined;
}

/**
 * A location path prefix: starts with `/`, then URL path characters only. No blanks,
 * no `~` regex marker at the start, no `$`, quotes or anything Nginx reads as syntax.
 */
const LOCATION_PATH = /^\/[A-Za-z0-9._~\-/%]{0,255}$/;

export function isLocationPath(value: string): boolean {
  return LOCATION_PATH.test(value) && !value.split('/').includes('..');
}

/** An upstream's name within its site. */
export const UPSTREAM_NAME = /^[a-z][a-z0-9-]{0,31}$/;
