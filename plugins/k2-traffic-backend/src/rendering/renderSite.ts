import { createHash } from 'node:crypto';
import { parseEntityRef } from '@backstage/catalog-model';
import type { RenderedFile } from '../database/TrafficStore';
import type { UpstreamMember, ValidSite } from '../sites/validateSite';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { SiteRef, UpstreamMemberSource } from './members';

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
 * The Nginx name of an upstream: readable (environment, service name, upstream) and
 * unique in the cluster (a hash of the full site ref and upstream name), made of
 * characters Nginx takes in a `proxy_pass` host.
 */
export function upstreamName(site: SiteRef, upstream: string): string {
  const { name } = parseEntityRef(site.service);
  const hash = createHash('sha256')
    .update(`${site.environment}\0${site.service}\0${upstream}`)
    .digest('hex')
    .slice(0, 8);
  return `k2_${site.environment}_${name}_${upstream}_${hash}`.replace(
    /[^a-zA-Z0-9_]/g,
    '_',
  );
}

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
): RenderedFile {
  return memberFile(
    site,
    upstream,
    memberFilePath(site, upstream.name),
    source.members(site, upstream),
  );
}

/** The member file at `path` of `upstream` with `members` (see `renderMembers`). */
export function memberFile(
  site: SiteRef,
  upstream: ValidSite['upstreams'][number],
  path: string,
  members: UpstreamMember[],
): RenderedFile {
  const health = `max_fails=${upstream.maxFails} fail_timeout=${upstream.failTimeoutSeconds}s`;
  const lines = [
    `# Members of upstream '${upstream.name}' of ${site.service} in ${site.environment}; rendered by K2.`,
    ...(members.length
      ? members.map(
          m =>
            `server ${m.host}:${m.port} weight=${m.weight} ${health}${
              m.backup ? ' backup' : ''
            };${
              m.origin?.kind === 'pod'
                ? ` # pod ${`${m.origin.cluster}/${m.origin.namespace}/${m.origin.pod}`.replace(
                    /[^A-Za-z0-9._/-]/g,
                    '_',
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

/**
 * A site's files: its own file (upstream blocks including their member files, then
 * the template's output) and one member file per upstream.
 */
export function renderSite(
  site: SiteRef,
  valid: ValidSite,
  templates: TemplateRegistry,
  members: UpstreamMemberSource,
): RenderedFile[] {
  const upstreamBlocks = valid.upstreams.map(upstream =>
    [
      `upstream ${upstreamName(site, upstream.name)} {`,
      ...(METHOD_DIRECTIVE[upstream.method]
        ? [`    ${METHOD_DIRECTIVE[upstream.method]}`]
        : []),
      `    include ${memberFilePath(site, upstream.name)};`,
      '}',
    ].join('\n'),
  );
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
        upstream: upstreamName(site, location.upstream),
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
    ...valid.upstreams.map(upstream => renderMembers(site, upstream, members)),
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

/** `filesHash` of files already in path order. */
export function orderedFilesHash(byPath: RenderedFile[]): string {
  const hash = createHash('sha256');
  for (const file of byPath) {
    hash.update(file.path, 'utf8');
    hash.update('\0');
    hash.update(file.content, 'utf8');
    hash.update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}
