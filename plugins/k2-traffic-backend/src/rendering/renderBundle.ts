import type { RenderedFile, StoredBundle } from '../database/TrafficStore';
import type { UpstreamMember, ValidSite } from '../sites/validateSite';
import { canaryMembers, UpstreamMemberSource } from './members';
import {
  canaryMemberFilePath,
  ENTRY_FILE,
  memberFile,
  MemberFileKind,
  memberFilePath,
  orderedFilesHash,
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

type Upstream = ValidSite['upstreams'][number];

/** One member file as last rendered, with everything its content depends on. */
interface RenderedMembers {
  path: string;
  kind: MemberFileKind;
  maxFails: number;
  failTimeoutSeconds: number;
  members: UpstreamMember[];
  file: RenderedFile;
  /** The last render that used this file. */
  generation: number;
}

/** What the cache holds for one site in one environment. */
interface CachedSite {
  path: string;
  /** By upstream name: its member file, and its canary's. */
  upstreams: Map<
    string,
    { stable?: RenderedMembers; canary?: RenderedMembers }
  >;
  /** The last render that used this entry. */
  generation: number;
}

function sameMember(a: UpstreamMember, b: UpstreamMember): boolean {
  if (
    a.host !== b.host ||
    a.port !== b.port ||
    a.weight !== b.weight ||
    a.backup !== b.backup
  ) {
    return false;
  }
  const x = a.origin;
  const y = b.origin;
  if (x?.kind !== 'pod' || y?.kind !== 'pod') {
    return (x?.kind === 'pod') === (y?.kind === 'pod');
  }
  return (
    x.cluster === y.cluster && x.namespace === y.namespace && x.pod === y.pod
  );
}

/**
 * What one cluster's last `renderBundle` rendered, so the next render of the cluster
 * renders again only the member files whose members or health rules changed (a pod
 * change renders one file, not one per upstream of the cluster) and parses each
 * site's entity ref once.
 *
 * Invariant: a cached file is reused only when every value its content is made of
 * equals the value now (site, upstream name and health rules, which members the file
 * holds — stable, canary pods, or the stable ones in the canary's file — and each
 * member's address, weight, backup flag and pod), so a bundle rendered with the
 * cache is the bundle rendered without it. What a render does not use (sites that
 * left the cluster, upstreams a site no longer has, the canary file of an upstream
 * without a canary route) is dropped at its end. One cache per cluster; renders of
 * one cluster must not run at the same time with one cache (`BundleService` runs
 * them one at a time).
 */
export class BundleRenderCache {
  /**
   * By service, then environment. Nested maps keyed by the strings the sites carry,
   * so a render of 5,000 sites builds no key strings.
   */
  #sites = new Map<string, Map<string, CachedSite>>();
  /** Counts renders; entries a render did not use are dropped by `keep`. */
  #generation = 0;
  #entry?: { paths: string[]; header: string; file: RenderedFile };
  /** The last bundle's paths in render order, and that order sorted by path. */
  #order?: { paths: string[]; byPath: number[] };

  /** Starts a render: entries not used from now on are dropped by `keep`. */
  begin() {
    this.#generation++;
  }

  #site(site: BundleSite): CachedSite {
    let environments = this.#sites.get(site.service);
    if (!environments) {
      environments = new Map();
      this.#sites.set(site.service, environments);
    }
    let cached = environments.get(site.environment);
    if (!cached) {
      cached = {
        path: siteFilePath(site),
        upstreams: new Map(),
        generation: this.#generation,
      };
      environments.set(site.environment, cached);
    }
    cached.generation = this.#generation;
    return cached;
  }

  sitePath(site: BundleSite): string {
    return this.#site(site).path;
  }

  /**
   * The member file of `upstream` (`kind` stable) or of its canary, rendered again
   * only when its content changes.
   */
  members(
    site: BundleSite,
    upstream: Upstream,
    kind: MemberFileKind,
    members: UpstreamMember[],
  ): RenderedFile {
    const canary = kind !== 'stable';
    const upstreams = this.#site(site).upstreams;
    let files = upstreams.get(upstream.name);
    if (!files) {
      files = {};
      upstreams.set(upstream.name, files);
    }
    const cached = canary ? files.canary : files.stable;
    if (
      cached &&
      cached.kind === kind &&
      cached.maxFails === upstream.maxFails &&
      cached.failTimeoutSeconds === upstream.failTimeoutSeconds &&
      cached.members.length === members.length &&
      cached.members.every((m, i) => sameMember(m, members[i]))
    ) {
      cached.generation = this.#generation;
      return cached.file;
    }
    const path =
      cached?.path ??
      (canary ? canaryMemberFilePath : memberFilePath)(site, upstream.name);
    const file = memberFile(site, upstream, path, members, kind);
    const rendered: RenderedMembers = {
      path,
      kind,
      maxFails: upstream.maxFails,
      failTimeoutSeconds: upstream.failTimeoutSeconds,
      members: members.map(m => ({
        ...m,
        ...(m.origin ? { origin: { ...m.origin } } : {}),
      })),
      file,
      generation: this.#generation,
    };
    if (canary) files.canary = rendered;
    else files.stable = rendered;
    return file;
  }

  /** The entry file including `paths`, rebuilt only when they or the header change. */
  entry(header: string, paths: string[]): RenderedFile {
    const last = this.#entry;
    if (
      last &&
      last.header === header &&
      last.paths.length === paths.length &&
      last.paths.every((p, i) => p === paths[i])
    ) {
      return last.file;
    }
    const file: RenderedFile = {
      path: ENTRY_FILE,
      content: [header, ...paths.map(path => `include ${path};`), ''].join(
        '\n',
      ),
    };
    this.#entry = { paths, header, file };
    return file;
  }

  /**
   * `files` in path order (the order `filesHash` hashes), sorted again only when
   * their paths differ from the last call's.
   */
  byPath(files: RenderedFile[]): RenderedFile[] {
    const last = this.#order;
    let order = last?.byPath;
    if (
      !last ||
      last.paths.length !== files.length ||
      !files.every((f, i) => f.path === last.paths[i])
    ) {
      const paths = files.map(f => f.path);
      order = paths
        .map((_, i) => i)
        .sort((a, b) => {
          if (paths[a] === paths[b]) return a - b;
          return paths[a] < paths[b] ? -1 : 1;
        });
      this.#order = { paths, byPath: order };
    }
    return order!.map(i => files[i]);
  }

  /**
   * Ends a render: drops what it did not use — sites that left the cluster, upstreams
   * a site no longer has, the canary file of an upstream without a canary route.
   */
  keep() {
    const generation = this.#generation;
    for (const [service, environments] of this.#sites) {
      for (const [environment, cached] of environments) {
        if (cached.generation !== generation) {
          environments.delete(environment);
          continue;
        }
        for (const [name, files] of cached.upstreams) {
          if (files.stable?.generation !== generation) delete files.stable;
          if (files.canary?.generation !== generation) delete files.canary;
          if (!files.stable && !files.canary) cached.upstreams.delete(name);
        }
      }
      if (environments.size === 0) this.#sites.delete(service);
    }
  }
}

/**
 * A cluster's bundle: `k2/k2.conf` including every site file, each site file as its
 * version published it, and every upstream's member file (and its canary's, for an
 * upstream with a canary route) rendered now from `members`
 * (taken from `cache` when nothing it is made of changed).
 *
 * Invariants: the same sites and members give the same files, hash and version,
 * with or without a cache (so every backend replica builds the same bundle); the
 * version changes whenever any file does.
 */
export function renderBundle(
  cluster: { name: string; environments: string[] },
  sites: BundleSite[],
  members: UpstreamMemberSource,
  cache: BundleRenderCache = new BundleRenderCache(),
): Omit<StoredBundle, 'updatedAt'> {
  cache.begin();
  // Each site's path once: sorting 5,000 sites must not parse entity refs per compare.
  const ordered = sites
    .map(site => ({ site, path: cache.sitePath(site) }))
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
      files.push(
        cache.members(
          site,
          upstream,
          'stable',
          members.members(site, upstream),
        ),
      );
      if (upstream.canary) {
        const canary = canaryMembers(members, site, upstream);
        files.push(
          cache.members(
            site,
            upstream,
            canary.stable ? 'canary-as-stable' : 'canary',
            canary.members,
          ),
        );
      }
    }
  }
  cache.keep();
  const entry = cache.entry(
    [
      `# Nginx cluster '${cluster.name}' (${cluster.environments.join(
        ', ',
      )}): rendered by K2, do not edit.`,
      '# nginx.conf includes this file inside its http block: include k2/k2.conf;',
    ].join('\n'),
    ordered.map(({ path }) => path),
  );
  const all = [entry, ...files];
  const hash = orderedFilesHash(cache.byPath(all));
  return {
    cluster: cluster.name,
    version: hash.slice('sha256:'.length, 'sha256:'.length + 20),
    hash,
    files: all,
  };
}
