import { LoggerService } from '@backstage/backend-plugin-api';
import { LABEL_TRAFFIC } from '@internal/plugin-k2-common';
import type {
  K2ClusterAccess,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { SiteRef, UpstreamMemberSource } from '../rendering/members';
import { memberHost } from '../sites/syntax';
import type { UpstreamMember, ValidSite } from '../sites/validateSite';

/** The container port an upstream sends to: the release spec's `port`, named `http`. */
export const MEMBER_PORT_NAME = 'http';

/** How long a site's resolved target is reused before the catalog is asked again. */
const TARGET_TTL_MS = 30_000;

/** Where a site's pods run: the service's workload identity and its clusters. */
interface SiteTarget {
  /** The service's entity ref as the catalog spells it (site refs are lowercased). */
  ref: string;
  kubernetesId: string;
  namespace: string;
  clusters: string[];
}

export const siteKey = (site: SiteRef) =>
  `${site.environment}\0${site.service}`;

function condition(pod: KubeObject, type: string) {
  return (pod.status?.conditions ?? []).find(
    (c: { type: string }) => c.type === type,
  );
}

/** The container port named {@link MEMBER_PORT_NAME}, if the pod has one. */
function memberPort(pod: KubeObject): number | undefined {
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === MEMBER_PORT_NAME && (port.protocol ?? 'TCP') === 'TCP')
        return port.containerPort;
    }
  }
  return undefined;
}

/**
 * Whether a pod receives traffic through Nginx, and where: ready, labelled
 * `k2.io/traffic: on` (the label the Deploy tab flips to take it out of traffic, which
 * the service's Service selects), not terminating, with a pod IP and an `http` port.
 * Returns a string that is equal for two pod states exactly when their membership is.
 */
export function membershipOf(pod: KubeObject | undefined): string {
  if (!pod) return '';
  if (pod.metadata.deletionTimestamp) return '';
  if (pod.metadata.labels?.[LABEL_TRAFFIC] !== 'on') return '';
  if (condition(pod, 'Ready')?.status !== 'True') return '';
  const host = pod.status?.podIP ? memberHost(pod.status.podIP) : undefined;
  const port = memberPort(pod);
  return host && port ? `${host}:${port}` : '';
}

/**
 * Upstream members from the watch caches: the manual members the site lists, then the
 * service's ready, in-traffic, not-terminating pods in every cluster of the site's
 * environment (see {@link membershipOf}), on the container port named `http`.
 *
 * Invariants: `members` reads only memory (the caches and targets {@link
 * PodMembers.prepare} resolved); the same cache contents give the same members in the
 * same order (sorted by address), so every backend replica renders the same file; a
 * pod member at an address a manual member already lists is left out; a site whose
 * service the catalog no longer holds, or that does not run in the environment, gets
 * its manual members only.
 */
export class PodMembers implements UpstreamMemberSource {
  readonly #resolver: K2ServiceResolver;
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #targets = new Map<string, SiteTarget | undefined>();
  /** When each site was last resolved (a failure too, so it is not retried per render). */
  readonly #resolvedAt = new Map<string, number>();
  /** Sites by the kubernetes-id of their service, for following pod changes. */
  readonly #sitesById = new Map<string, Map<string, SiteRef>>();

  constructor(options: {
    resolver: K2ServiceResolver;
    access: K2ClusterAccess;
    logger: LoggerService;
  }) {
    this.#resolver = options.resolver;
    this.#access = options.access;
    this.#logger = options.logger;
  }

  async prepare(sites: SiteRef[]): Promise<void> {
    const now = Date.now();
    for (const site of sites) {
      const key = siteKey(site);
      const resolvedAt = this.#resolvedAt.get(key);
      if (resolvedAt !== undefined && now - resolvedAt < TARGET_TTL_MS) {
        continue;
      }
      const known = this.#targets.get(key);
      let target: SiteTarget | undefined;
      try {
        const service = await this.#resolver.service(site.service);
        const resolved = this.#resolver.target(service, site.environment);
        target = {
          ref: service.ref,
          kubernetesId: service.spec.kubernetesId,
          namespace: resolved.namespace,
          clusters: resolved.clusters.map(c => c.name),
        };
      } catch (error) {
        this.#logger.warn(
          `Upstreams of ${site.service} in ${
            site.environment
          } get their manual members only: ${(error as Error).message}`,
        );
      }
      if (known && known.kubernetesId !== target?.kubernetesId) {
        this.#sitesById.get(known.kubernetesId)?.delete(key);
      }
      this.#resolvedAt.set(key, now);
      this.#targets.set(key, target);
      if (target) {
        const byId = this.#sitesById.get(target.kubernetesId) ?? new Map();
        byId.set(key, site);
        this.#sitesById.set(target.kubernetesId, byId);
      }
    }
  }

  /** Every site with a resolved target, as last prepared. */
  sites(): SiteRef[] {
    return [...this.#sitesById.values()].flatMap(sites => [...sites.values()]);
  }

  /** The service's entity ref as the catalog spells it, for its activity log. */
  serviceRefOf(site: SiteRef): string {
    return this.#targets.get(siteKey(site))?.ref ?? site.service;
  }

  /** The clusters whose pods a site's members come from. */
  clustersOf(site: SiteRef): string[] {
    return this.#targets.get(siteKey(site))?.clusters ?? [];
  }

  /** The sites whose members come from pods labelled with this kubernetes-id. */
  sitesOf(kubernetesId: string): SiteRef[] {
    return [...(this.#sitesById.get(kubernetesId)?.values() ?? [])];
  }

  /** The pod members of a site (every upstream of the site gets the same ones). */
  podMembers(site: SiteRef): UpstreamMember[] {
    const target = this.#targets.get(siteKey(site));
    if (!target) return [];
    const members: UpstreamMember[] = [];
    for (const cluster of target.clusters) {
      const cache = this.#access.cache(cluster);
      for (const pod of cache.byService('pods', target.kubernetesId)) {
        if (pod.metadata.namespace !== target.namespace) continue;
        const address = membershipOf(pod);
        if (!address) continue;
        const at = address.lastIndexOf(':');
        members.push({
          host: address.slice(0, at),
          port: Number(address.slice(at + 1)),
          weight: 1,
          backup: false,
          origin: {
            kind: 'pod',
            cluster,
            namespace: target.namespace,
            pod: pod.metadata.name,
          },
        });
      }
    }
    const address = (m: UpstreamMember) => `${m.host}:${m.port}`;
    return members.sort((a, b) => (address(a) < address(b) ? -1 : 1));
  }

  members(
    site: SiteRef,
    upstream: ValidSite['upstreams'][number],
  ): UpstreamMember[] {
    const manual = upstream.members.map(m => ({
      ...m,
      origin: { kind: 'manual' as const },
    }));
    const listed = new Set(manual.map(m => `${m.host}:${m.port}`));
    return [
      ...manual,
      ...this.podMembers(site).filter(m => !listed.has(`${m.host}:${m.port}`)),
    ];
  }
}
