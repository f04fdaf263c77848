import type { RenderedFile, StoredBundle } from '../database/TrafficStore';
import type { ValidSite } from '../sites/validateSite';
import { UpstreamMemberSource } from './members';
import {
  ENTRY_FILE,
  filesHash,
  renderMembers,
  siteFilePath,
} from './renderSite';

/** A site as it goes into a bundle: its published site file and its upstreams. */
export interface BundleSite {
  service: string;
  environment: string;
  /** The files its version recorded; only the site file is taken from them. */
  files: RenderedFile[];
  upstreams: ValidSite['upstreams'];
}

/**
 * A cluster's bundle: `k2/k2.conf` including every site file, each site file as its
 * version published it, and every upstream's member file rendered now from `members`.
 *
 * Invariants: the same sites and members give the same files, hash and version (so
 * every backend replica builds the same bundle); the version changes whenever any
 * file does.
 */
export function renderBundle(
  cluster: { name: string; environments: string[] },
  sites: BundleSite[],
  members: UpstreamMemberSource,
): Omit<StoredBundle, 'updatedAt'> {
  // Each site's path once: sorting 5,000 sites must not parse entity refs per compare.
  const ordered = sites
    .map(site => ({ site, path: siteFilePath(site) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const files: RenderedFile[] = [];
  for (const { site, path } of ordered) {
    const siteFile = site.files.find(f => f.path === path);
    if (!siteFile) {
      throw new Error(
        `The version of ${site.service} in ${site.environment} has no ${path}`,
      );
    }
    files.push(siteFile);
    for (const upstream of site.upstreams) {
      files.push(renderMembers(site, upstream, members));
    }
  }
  const entry: RenderedFile = {
    path: ENTRY_FILE,
    content: [
      `# Nginx cluster '${cluster.name}' (${cluster.environments.join(
        ', ',
      )}): rendered by K2, do not edit.`,
      '# nginx.conf includes this file inside its http block: include k2/k2.conf;',
      ...ordered.map(({ path }) => `include ${path};`),
      '',
    ].join('\n'),
  };
  const all = [entry, ...files];
  const hash = filesHash(all);
  return {
    cluster: cluster.name,
    version: hash.slice('sha256:'.length, 'sha256:'.length + 20),
    hash,
    files: all,
  };
}
