import { InputError } from '@backstage/errors';
import type { SiteRef } from './members';
import { upstreamName } from './upstreamName';

/**
 * Which requests of an upstream go to its canary: a share of all requests, or every
 * request carrying a header or cookie with one exact value. One route per canary.
 */
export type CanaryRoute =
  | { kind: 'weight'; percent: number }
  | { kind: 'header'; name: string; value: string }
  | { kind: 'cookie'; name: string; value: string };

/**
 * Header names become `$http_<name>` (lowercase, `-` as `_`), so only letters, digits
 * and `-`: no character Nginx reads as syntax, and no `_`, which Nginx drops from
 * request headers by default (`underscores_in_headers off`).
 */
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/**
 * Cookie names become `$cookie_<name>`, whose variable name ends at the first
 * character that is not a letter, digit or `_`.
 */
const COOKIE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** The value matched, written in double quotes: nothing that could end or escape them. */
const MATCH_VALUE = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * Checks a canary route from an API body. Throws an InputError naming the field
 * (`<at>.percent`, `<at>.name`, ...) for anything that is not a whole percentage from
 * 1 to 99 or a header or cookie name and value of the patterns above, so no value
 * that reaches the config can carry Nginx syntax.
 */
export function validateCanaryRoute(input: unknown, at = 'route'): CanaryRoute {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError(`${at}: must be an object`);
  }
  const route = input as Record<string, unknown>;
  const allowed =
    route.kind === 'weight' ? ['kind', 'percent'] : ['kind', 'name', 'value'];
  for (const key of Object.keys(route)) {
    if (!allowed.includes(key)) {
      throw new InputError(`${at}.${key}: unknown field`);
    }
  }
  if (route.kind === 'weight') {
    const percent = route.percent;
    if (
      typeof percent !== 'number' ||
      !Number.isInteger(percent) ||
      percent < 1 ||
      percent > 99
    ) {
      throw new InputError(
        `${at}.percent: must be a whole number from 1 to 99 (the share of requests the canary gets)`,
      );
    }
    return { kind: 'weight', percent };
  }
  if (route.kind === 'header' || route.kind === 'cookie') {
    const pattern = route.kind === 'header' ? HEADER_NAME : COOKIE_NAME;
    if (typeof route.name !== 'string' || !pattern.test(route.name)) {
      throw new InputError(
        route.kind === 'header'
          ? `${at}.name: a header name is a letter, then up to 63 letters, digits or '-'`
          : `${at}.name: a cookie name is a letter, then up to 63 letters, digits or '_'`,
      );
    }
    if (typeof route.value !== 'string' || !MATCH_VALUE.test(route.value)) {
      throw new InputError(
        `${at}.value: 1 to 64 letters, digits or '.', '_', '~', '-'`,
      );
    }
    return { kind: route.kind, name: route.name, value: route.value };
  }
  throw new InputError(`${at}.kind: must be 'weight', 'header' or 'cookie'`);
}

/** The Nginx name of the upstream holding a canary's members, beside the stable one. */
export function canaryUpstreamName(site: SiteRef, upstream: string): string {
  return `${upstreamName(site, upstream)}_canary`;
}

/**
 * The variable a location proxies to (`proxy_pass http://$<name>`) while the upstream
 * has a canary: its value is the name of the stable or the canary upstream, which
 * Nginx resolves among its upstream blocks without a resolver.
 */
export function canaryRouteVariable(site: SiteRef, upstream: string): string {
  return `$${upstreamName(site, upstream)}_route`;
}

/**
 * The http-level block choosing, per request, between the stable upstream and its
 * canary; the caller renders both upstream blocks.
 *
 * - weight: `split_clients` on `$request_id` (random per request), so the share holds
 *   for every client, including one behind a single address or connection. The share
 *   is per request, not sticky per user.
 * - header / cookie: a `map` whose one exact, case-sensitive value (a regex anchored
 *   on both ends, as `map` compares plain strings without regard to case) goes to the
 *   canary; every other request, including one without it, goes to stable.
 */
export function renderCanaryRoute(
  site: SiteRef,
  upstream: string,
  route: CanaryRoute,
): string {
  const stable = upstreamName(site, upstream);
  const canary = canaryUpstreamName(site, upstream);
  const variable = canaryRouteVariable(site, upstream);
  const comment = `# Canary of upstream '${upstream}' of ${site.service} in ${site.environment}; rendered by K2.`;
  if (route.kind === 'weight') {
    return [
      comment,
      `split_clients "\${request_id}" ${variable} {`,
      `    ${route.percent}% ${canary};`,
      `    * ${stable};`,
      '}',
      '',
    ].join('\n');
  }
  const source =
    route.kind === 'header'
      ? `$http_${route.name.toLowerCase().replace(/-/g, '_')}`
      : `$cookie_${route.name}`;
  const exact = route.value.replace(/\./g, '\\.');
  return [
    comment,
    `map ${source} ${variable} {`,
    `    "~^${exact}$" ${canary};`,
    `    default ${stable};`,
    '}',
    '',
  ].join('\n');
}
