import type { UpstreamMember, ValidSite } from '../sites/validateSite';

/** Which site an upstream belongs to. */
export interface SiteRef {
  /** Lowercased entity ref of the service. */
  service: string;
  environment: string;
}

/**
 * Where an upstream's members come from when its member file is rendered. The member
 * file is rendered on its own (see `renderMembers`), so a source whose members change
 * — the service's ready, in-traffic pods — only rewrites those files, never a site
 * version.
 */
export interface UpstreamMemberSource {
  /**
   * Called with the sites about to be rendered, before any `members` call for them: a
   * source that needs asynchronous lookups (the catalog) makes them here, so `members`
   * stays synchronous.
   */
  prepare?(sites: SiteRef[]): Promise<void>;
  /**
   * The members that follow the clusters rather than the site document (the
   * service's ready, in-traffic pods), the same for every upstream of the site; for
   * showing where members come from. Absent on a source without any.
   */
  podMembers?(site: SiteRef): UpstreamMember[];
  /** The members of `upstream` of `site`, in the order they are rendered. */
  members(
    site: SiteRef,
    upstream: ValidSite['upstreams'][number],
  ): UpstreamMember[];
}
