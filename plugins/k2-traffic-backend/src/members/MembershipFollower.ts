import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ClusterChange,
  K2ActivityLog,
  K2ClusterAccess,
} from '@internal/plugin-k2-node';
import { serviceKeys } from '@internal/plugin-k2-node';
import { BundleService } from '../bundles/BundleService';
import { SiteRef } from '../rendering/members';
import type { UpstreamMember } from '../sites/validateSite';
import {
  memberAddress as address,
  membershipOf,
  PodMembers,
  siteKey,
} from './PodMembers';

/** How long pod changes for one Nginx cluster are gathered before its bundle is rebuilt. */
const DEFAULT_DEBOUNCE_MS = 500;

/** A pod member of one track, with the key two equal memberships share. */
interface TrackedMember {
  member: UpstreamMember;
  canary: boolean;
  /** Its address, prefixed with `canary ` on the canary track. */
  key: string;
}

/** A change of the pod members of one site, against those last rendered. */
interface MembershipChange {
  site: SiteRef;
  now: TrackedMember[];
  added: TrackedMember[];
  removed: TrackedMember[];
}

function describe(members: TrackedMember[]): string {
  return members
    .map(({ member: m, canary }) => {
      const at = `${canary ? 'canary ' : ''}${address(m)}`;
      return m.origin?.kind === 'pod'
        ? `${at} (pod ${m.origin.pod} in ${m.origin.cluster})`
        : at;
    })
    .join(', ');
}

/**
 * Live upstream membership: follows the watch caches' pod changes and rebuilds the
 * bundle of an Nginx cluster (member files only, no site version) when the pod members
 * of one of its sites changed, stable or canary (a canary pod appearing or going
 * moves its site's canaries between the canary pods and the stable members).
 *
 * Cost: one listener for all clusters; a pod change is dropped at once unless it
 * changes the pod's membership ({@link membershipOf}) and its service has a site
 * (one map lookup by kubernetes-id), so thousands of services mean no work per event
 * for the ones without sites. Changes are gathered per Nginx cluster for `debounceMs`,
 * then the sites they touched are compared with the members last rendered, and the
 * bundle is rebuilt only when some differ.
 *
 * Invariants: a relist of a cache, which re-delivers unchanged pods or none, rebuilds
 * nothing; each change of members is logged on every backend that sees it, and
 * recorded in the service's activity log by the one backend whose rebuild stored the
 * bundle; a cluster whose pods cannot all be known yet (a cache not listed) keeps its
 * bundle until they can.
 */
export class MembershipFollower {
  readonly #access: K2ClusterAccess;
  readonly #members: PodMembers;
  readonly #bundles: BundleService;
  readonly #activity: K2ActivityLog;
  readonly #logger: LoggerService;
  readonly #debounceMs: number;
  /** Per site, its pod members of both tracks as last rendered or seen. */
  readonly #rendered = new Map<string, TrackedMember[]>();
  /** Per Nginx cluster, the sites touched since its last rebuild. */
  readonly #dirty = new Map<string, Map<string, SiteRef>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #unsubscribe?: () => void;

  constructor(options: {
    access: K2ClusterAccess;
    members: PodMembers;
    bundles: BundleService;
    activity: K2ActivityLog;
    logger: LoggerService;
    debounceMs?: number;
  }) {
    this.#access = options.access;
    this.#members = options.members;
    this.#bundles = options.bundles;
    this.#activity = options.activity;
    this.#logger = options.logger;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  }

  /**
   * Starts following: subscribes first, so no change is lost, then builds every
   * bundle once the caches are listed (or after `syncTimeoutMs`, with what is known)
   * and remembers the members it rendered.
   */
  async start(syncTimeoutMs: number): Promise<void> {
    this.#unsubscribe = this.#access.subscribe(change =>
      this.#onChange(change),
    );
    try {
      await this.#access.waitForSync(syncTimeoutMs);
    } catch (error) {
      this.#logger.warn(
        `Upstream members follow the clusters listed so far: ${
          (error as Error).message
        }`,
      );
    }
    await this.#bundles.refreshAll();
    for (const site of this.#members.sites()) {
      this.#rendered.set(siteKey(site), this.#podMembers(site));
    }
  }

  stop() {
    this.#unsubscribe?.();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #onChange(change: ClusterChange) {
    if (change.resource !== 'pods') return;
    const deleted = change.type === 'DELETED';
    const was = membershipOf(deleted ? change.object : change.before);
    const is = deleted ? '' : membershipOf(change.object);
    // A pod that never was a member, or a change that does not move it (status
    // heartbeats, restarts counted, a relist re-delivering it), costs nothing more.
    if (was === is) return;
    const ids = new Set([
      ...serviceKeys(change.object),
      ...(change.before ? serviceKeys(change.before) : []),
    ]);
    for (const id of ids) {
      for (const site of this.#members.sitesOf(id)) {
        this.#touch(this.#bundles.clusterFor(site.environment).name, site);
      }
    }
  }

  /** A site's stable and canary pod members as the caches hold them now. */
  #podMembers(site: SiteRef): TrackedMember[] {
    return [
      ...this.#members
        .podMembers(site)
        .map(member => ({ member, canary: false, key: address(member) })),
      ...this.#members.canaryPodMembers(site).map(member => ({
        member,
        canary: true,
        key: `canary ${address(member)}`,
      })),
    ];
  }

  /** Marks a site's members as possibly changed; the cluster is rebuilt after the debounce. */
  #touch(cluster: string, site: SiteRef) {
    const dirty = this.#dirty.get(cluster) ?? new Map<string, SiteRef>();
    dirty.set(siteKey(site), site);
    this.#dirty.set(cluster, dirty);
    if (this.#timers.has(cluster)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(cluster);
      this.#flush(cluster).catch(error => {
        this.#logger.warn(
          `Nginx cluster ${cluster}: members not updated, agents keep the last bundle: ${
            (error as Error).message
          }`,
        );
      });
    }, this.#debounceMs);
    this.#timers.set(cluster, timer);
  }

  /** Rebuilds the cluster's bundle when the pod members of a touched site changed. */
  async #flush(cluster: string): Promise<void> {
    const dirty = this.#dirty.get(cluster);
    this.#dirty.delete(cluster);
    if (!dirty) return;
    const changes: MembershipChange[] = [];
    let unknown = false;
    for (const [key, site] of dirty) {
      const before = this.#rendered.get(key);
      const now = this.#podMembers(site);
      if (!before) {
        // A site published since the start: what its publish rendered is not known
        // here, so rebuild (a no-op when nothing changed) without naming a change.
        unknown = true;
        this.#rendered.set(key, now);
        continue;
      }
      const had = new Set(before.map(m => m.key));
      const has = new Set(now.map(m => m.key));
      const added = now.filter(m => !had.has(m.key));
      const removed = before.filter(m => !has.has(m.key));
      if (added.length || removed.length) {
        changes.push({ site, now, added, removed });
      }
    }
    if (unknown && changes.length === 0) {
      await this.#bundles.refresh(cluster);
      return;
    }
    if (changes.length === 0) return;
    const listed = (name: string) =>
      Boolean(this.#access.cache(name).health().syncedAt);
    if (!changes.every(c => this.#members.clustersOf(c.site).every(listed))) {
      // Pods of a cluster not listed yet are unknown, not gone: wait for its list.
      for (const { site } of changes) this.#touch(cluster, site);
      return;
    }
    const stored = await this.#bundles.refresh(cluster);
    // What was compared, not what the caches hold now: a change that arrived during
    // the rebuild is compared again on its own flush.
    for (const { site, now } of changes) this.#rendered.set(siteKey(site), now);
    for (const { site, added, removed } of changes) {
      const summary = [
        added.length ? `added ${describe(added)}` : '',
        removed.length ? `removed ${describe(removed)}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      this.#logger.info(
        `Upstream members of ${site.service} in ${site.environment} (Nginx cluster ${cluster}): ${summary}`,
      );
      if (stored) {
        await this.#activity.record({
          service: this.#members.serviceRefOf(site),
          environment: site.environment,
          actor: 'k2',
          action: 'traffic-members',
          summary: `Nginx upstream members ${summary}`,
          result: 'succeeded',
        });
      }
    }
  }
}
