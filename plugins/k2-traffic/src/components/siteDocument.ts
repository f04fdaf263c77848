import { DiffLine, textLines } from '@internal/plugin-k2-react';
import {
  K2TrafficSite,
  K2TrafficSiteVersion,
} from '@internal/plugin-k2-traffic-common';

/** A new site's starting point: one upstream `app` without members, served at `/`. */
export function emptySite(template = 'default'): K2TrafficSite {
  return {
    template,
    domains: [],
    upstreams: [{ name: 'app', method: 'round_robin', members: [] }],
    locations: [{ path: '/', upstream: 'app' }],
    fields: {},
  };
}

/** A canary route as one diff value: `10%`, `header X-Beta: yes`, `cookie beta=yes`. */
function canaryText(
  route: K2TrafficSite['upstreams'][number]['canary'],
): string | undefined {
  if (!route) return undefined;
  if (route.kind === 'weight') return `${route.percent}%`;
  return route.kind === 'header'
    ? `header ${route.name}: ${route.value}`
    : `cookie ${route.name}=${route.value}`;
}

/**
 * A site document as diff fields (`path: value`, one line per leaf, keyed by path),
 * so a changed weight is one change beside its old value. Upstreams and their members
 * are keyed by name and address, locations by path, so removing the first of three
 * members is one removal, not three changes.
 */
export function siteLines(site: K2TrafficSite | undefined): DiffLine[] {
  if (!site) return [];
  const lines: DiffLine[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    const text =
      typeof value === 'object'
        ? JSON.stringify(value)
        : String(value as string | number | boolean);
    lines.push({ key, text: `${key}: ${text}` });
  };
  add('template', site.template);
  (site.domains ?? []).forEach(domain => add(`domains[${domain}]`, domain));
  add('tls.certificate', site.tls?.certificate);
  add('tls.redirectHttp', site.tls?.redirectHttp);
  for (const upstream of site.upstreams) {
    const at = `upstreams[${upstream.name}]`;
    add(`${at}.method`, upstream.method);
    add(`${at}.maxFails`, upstream.maxFails);
    add(`${at}.failTimeoutSeconds`, upstream.failTimeoutSeconds);
    add(`${at}.canary`, canaryText(upstream.canary));
    for (const member of upstream.members ?? []) {
      const m = `${at}.members[${member.address}:${member.port}]`;
      add(`${m}.weight`, member.weight ?? 1);
      add(`${m}.backup`, member.backup ?? false);
    }
  }
  for (const location of site.locations) {
    const at = `locations[${location.path}]`;
    add(`${at}.upstream`, location.upstream);
    add(`${at}.connectTimeoutSeconds`, location.connectTimeoutSeconds);
    add(`${at}.readTimeoutSeconds`, location.readTimeoutSeconds);
    add(`${at}.sendTimeoutSeconds`, location.sendTimeoutSeconds);
  }
  for (const [name, value] of Object.entries(site.fields ?? {})) {
    add(`fields.${name}`, value);
  }
  return lines;
}

/**
 * A version's rendered files as one text, each file under a `# <path>` line, sorted
 * by path: what the Nginx hosts read, for a line diff of two versions.
 */
export function renderedLines(version: K2TrafficSiteVersion): DiffLine[] {
  const files = [...version.files].sort((a, b) => a.path.localeCompare(b.path));
  return textLines(
    files.map(file => `# ${file.path}\n${file.content.trimEnd()}`).join('\n\n'),
  );
}

/**
 * The field a refusal names, as the editor's path (`upstreams[0].members[1].address`)
 * with its message: the backend names it `site.<path>: <message>`. Undefined for a
 * refusal of the whole config (`nginx -t`) or of something that is not a site field.
 */
export function refusedField(
  error: Error,
): { path: string; message: string } | undefined {
  const match = /^site\.([A-Za-z0-9_.[\]]+): ([\s\S]+)$/.exec(error.message);
  return match ? { path: match[1], message: match[2] } : undefined;
}
