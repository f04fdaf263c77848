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
  /**
   * The canary members that follow the clusters (the service's ready, in-traffic pods
   * labelled `k2.io/track: canary`), the same for every upstream of the site; never
   * among `podMembers` or `members`. Absent on a source without any.
   */
  canaryPodMembers?(site: SiteRef): UpstreamMember[];
  /** The members of `upstream` of `site`, in the order they are rendered. */
  members(
    site: SiteRef,
    upstream: ValidSite['upstreams'][number],
  ): UpstreamMember[];
}

/**
 * The members of the canary of `upstream`: the site's canary pods, or, while it has
 * none, the upstream's own members (manual and stable pods), so a canary route sends
 * every request to stable until a canary pod is ready and after the canary is gone,
 * without a publish.
 */
export function canaryMembers(
  source: UpstreamMemberSource,
  site: SiteRef,
  upstream: ValidSite['upstreams'][number],
): { members: UpstreamMember[]; stable: boolean } {
  const canary = source.canaryPodMembers?.(site) ?? [];
  return canary.length
    ? { members: canary, stable: false }
    : { members: source.members(site, upstream), stable: true };
}
