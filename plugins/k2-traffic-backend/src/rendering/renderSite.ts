import { createHash } from 'node:crypto';
import { parseEntityRef } from '@backstage/catalog-model';
import type { RenderedFile } from '../database/TrafficStore';
import type { UpstreamMember, ValidSite } from '../sites/validateSite';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import {
  canaryRouteVariable,
  canaryUpstreamName,
  renderCanaryRoute,
} from './canary';
import { canaryMembers, SiteRef, UpstreamMemberSource } from './members';
import { upstreamName } from './upstreamName';

/** The bundle's entry file, which the host's nginx.conf includes in its http block. */
export const ENTRY_FILE = 'k2/k2.conf';

/** Where a site's files live in the bundle: one directory level per name part. */
function siteDirectory(site: SiteRef): string {
  const { namespace, name } = parseEntityRef(site.service);
  return `${site.environment}/${namespace}/${name}`;
}

/** The site's own file: its upstream blocks and the template's servers. */
export function siteFilePath(site: SiteRef): string {
  return `k2/sites/${siteDirectory(site)}.conf`;
}

/** The member file of one upstream of a site. */
export function memberFilePath(site: SiteRef, upstream: string): string {
  return `k2/members/${siteDirectory(site)}/${upstream}.conf`;
}

/**
 * The member file of the canary of one upstream of a site. Upstream names hold no
 * `.`, so it is never another upstream's member file.
 */
export function canaryMemberFilePath(site: SiteRef, upstream: string): string {
  return `k2/members/${siteDirectory(site)}/${upstream}.canary.conf`;
}

/** Which members a member file holds, for its comment. */
export type MemberFileKind =
  /** The upstream's own members. */
  | 'stable'
  /** The canary's pods. */
  | 'canary'
  /** The canary's, while it has no pod: the upstream's own members. */
  | 'canary-as-stable';

const METHOD_DIRECTIVE: Record<string, string | undefined> = {
  round_robin: undefined,
  least_conn: 'least_conn;',
  ip_hash: 'ip_hash;',
};

/**
 * The member file of an upstream: one `server` line per member with the upstream's
 * passive health rules, a pod member followed by a comment naming its pod (only name
 * characters, so the comment can never end the line). Without members the upstream
 * has one `down` server, so Nginx accepts the config and answers 502 until members
 * appear.
 */
export function renderMembers(
  site: SiteRef,
  upstream: ValidSite['upstreams'][number],
  source: UpstreamMemberSource,
): RenderedFile[] {
  const files = [
    memberFile(
      site,
      upstream,
      memberFilePath(site, upstream.name),
      source.members(site, upstream),
      'stable',
    ),
  ];
  if (upstream.canary) {
    const canary = canaryMembers(source, site, upstream);
    files.push(
      memberFile(
        site,
        upstream,
        canaryMemberFilePath(site, upstream.name),
        canary.members,
        canary.stable ? 'canary-as-stable' : 'canary',
      ),
    );
  }
  return files;
}

const MEMBER_FILE_TITLE: Record<MemberFileKind, string> = {
  stable: 'Members',
  canary: 'Canary members',
  'canary-as-stable':
    'Canary members (no canary pod is ready: the stable members, so every request reaches stable)',
};

const NOT_COMMENT_SAFE = /[^A-Za-z0-9._/-]/;
const NOT_COMMENT_SAFE_ALL = /[^A-Za-z0-9._/-]/g;

/**
 * `cluster/namespace/pod` with every character but name characters as `_`, so the
 * comment can never end its line. Pod names are DNS names, so the replace is rare.
 */
function podComment(text: string): string {
  return NOT_COMMENT_SAFE.test(text)
    ? text.replace(NOT_COMMENT_SAFE_ALL, '_')
    : text;
}

/** The member file at `path` of `upstream` with `members` (see `renderMembers`). */
export function memberFile(
  site: SiteRef,
  upstream: ValidSite['upstreams'][number],
  path: string,
  members: UpstreamMember[],
  kind: MemberFileKind,
): RenderedFile {
  const health = `max_fails=${upstream.maxFails} fail_timeout=${upstream.failTimeoutSeconds}s`;
  const lines = [
    `# ${MEMBER_FILE_TITLE[kind]} of upstream '${upstream.name}' of ${site.service} in ${site.environment}; rendered by K2.`,
    ...(members.length
      ? members.map(
          m =>
            `server ${m.host}:${m.port} weight=${m.weight} ${health}${
              m.backup ? ' backup' : ''
            };${
              m.origin?.kind === 'pod'
                ? ` # pod ${podComment(
                    `${m.origin.cluster}/${m.origin.namespace}/${m.origin.pod}`,
                  )}`
                : ''
            }`,
        )
      : [
          '# No members: every request answers 502 until the service has members.',
          'server 127.0.0.1:1 down;',
        ]),
  ];
  return { path, content: `${lines.join('\n')}\n` };
}

/** An upstream block named `name` including the member file at `members`. */
function upstreamBlock(
  upstream: ValidSite['upstreams'][number],
  name: string,
  members: string,
): string {
  return [
    `upstream ${name} {`,
    ...(METHOD_DIRECTIVE[upstream.method]
      ? [`    ${METHOD_DIRECTIVE[upstream.method]}`]
      : []),
    `    include ${members};`,
    '}',
  ].join('\n');
}

/**
 * A site's files: its own file (upstream blocks including their member files, then
 * the template's output) and one member file per upstream, two for an upstream with a
 * canary route.
 *
 * An upstream with a canary route gets a second upstream block, its canary (same
 * method, its own member file), and the route block choosing between the two per
 * request; the locations sending to it proxy to the route's variable, whose value
 * names one of the two blocks. The template sees that variable as the location's
 * `upstream`.
 */
export function renderSite(
  site: SiteRef,
  valid: ValidSite,
  templates: TemplateRegistry,
  members: UpstreamMemberSource,
): RenderedFile[] {
  const upstreamBlocks = valid.upstreams.map(upstream => {
    const stable = upstreamBlock(
      upstream,
      upstreamName(site, upstream.name),
      memberFilePath(site, upstream.name),
    );
    if (!upstream.canary) return stable;
    return [
      stable,
      upstreamBlock(
        upstream,
        canaryUpstreamName(site, upstream.name),
        canaryMemberFilePath(site, upstream.name),
      ),
      renderCanaryRoute(site, upstream.name, upstream.canary).trimEnd(),
    ].join('\n');
  });
  const proxiedTo = (name: string) => {
    const upstream = valid.upstreams.find(u => u.name === name)!;
    return upstream.canary
      ? canaryRouteVariable(site, name)
      : upstreamName(site, name);
  };
  const servers = templates.render(valid.template, {
    site: {
      service: site.service,
      environment: site.environment,
      serverNames: valid.serverNames,
      tls: valid.tls && {
        certificate: valid.tls.certificate.certificate,
        key: valid.tls.certificate.key,
        redirectHttp: valid.tls.redirectHttp,
      },
      locations: valid.locations.map(location => ({
        ...location,
        upstream: proxiedTo(location.upstream),
      })),
    },
    fields: valid.fields,
  });
  const content = [
    `# Site of ${site.service} in ${site.environment}, template '${valid.template}'; published by K2, do not edit.`,
    ...upstreamBlocks,
    servers.trim(),
    '',
  ].join('\n\n');
  return [
    { path: siteFilePath(site), content },
    ...valid.upstreams.flatMap(upstream =>
      renderMembers(site, upstream, members),
    ),
  ];
}

/** `sha256:<hex>` over files in path order: path, NUL, content, NUL for each. */
export function filesHash(files: RenderedFile[]): string {
  return orderedFilesHash(
    [...files].sort((a, b) => {
      if (a.path === b.path) return 0;
      return a.path < b.path ? -1 : 1;
    }),
  );
}

/** Characters `orderedFilesHash` gathers before handing them to the hash. */
const HASH_CHUNK = 1 << 16;

/**
 * `filesHash` of files already in path order. The same bytes are hashed as file by
 * file, gathered into chunks: a cluster is 10,000+ files, and one hash update per
 * path and content costs more than hashing their bytes.
 */
export function orderedFilesHash(byPath: RenderedFile[]): string {
  const hash = createHash('sha256');
  let chunk = '';
  for (const file of byPath) {
    chunk += `${file.path}\0${file.content}\0`;
    if (chunk.length >= HASH_CHUNK) {
      hash.update(chunk, 'utf8');
      chunk = '';
    }
  }
  hash.update(chunk, 'utf8');
  return `sha256:${hash.digest('hex')}`;
}
