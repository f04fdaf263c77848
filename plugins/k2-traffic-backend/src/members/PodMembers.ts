import { LoggerService } from '@backstage/backend-plugin-api';
import {
  K2ServiceTarget,
  LABEL_TRACK,
  LABEL_TRAFFIC,
  TRACK_CANARY,
} from '@internal/plugin-k2-common';
import type {
  K2ResolvedService,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { SiteRef, UpstreamMemberSource } from '../rendering/members';
import { memberHost } from '../sites/syntax';
import type { UpstreamMember, ValidSite } from '../sites/validateSite';

/** The container port an upstream sends to: the release spec's `port`, named `http`. */
const MEMBER_PORT_NAME = 'http';

/** How long a site's resolved target is reused before the catalog is asked again. */
const TARGET_TTL_MS = 30_000;

/** Where a site's pods run: its service and the service's target in the environment. */
interface SiteTarget {
  service: K2ResolvedService;
  target: K2ServiceTarget;
}

export const siteKey = (site: SiteRef) =>
  `${site.environment}\0${site.service}`;

/** A member's `host:port`, the identity two members at one address share. */
export const memberAddress = (m: { host: string; port: number }) =>
  `${m.host}:${m.port}`;

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
 * Where a pod receives traffic through Nginx, if it does: ready, labelled
 * `k2.io/traffic: on` (the label the Deploy tab flips to take it out of traffic, which
 * the service's Service selects), not terminating, with a pod IP and an `http` port.
 */
function endpointOf(
  pod: KubeObject | undefined,
): { host: string; port: number } | undefined {
  if (!pod) return undefined;
  if (pod.metadata.deletionTimestamp) return undefined;
  if (pod.metadata.labels?.[LABEL_TRAFFIC] !== 'on') return undefined;
  if (condition(pod, 'Ready')?.status !== 'True') return undefined;
  const host = pod.status?.podIP ? memberHost(pod.status.podIP) : undefined;
  const port = memberPort(pod);
  return host && port ? { host, port } : undefined;
}

/** Whether a pod runs on the canary track (`k2.io/track: canary`); others are stable. */
function isCanary(pod: KubeObject): boolean {
  return pod.metadata.labels?.[LABEL_TRACK] === TRACK_CANARY;
}

/**
 * A pod's membership (see {@link endpointOf}) as a string that is equal for two pod
 * states exactly when their membership is: its address, prefixed with `canary ` for a
 * canary pod, or '' when it is no member.
 */
export function membershipOf(pod: KubeObject | undefined): string {
  const endpoint = endpointOf(pod);
  if (!endpoint) return '';
  return `${isCanary(pod!) ? 'canary ' : ''}${memberAddress(endpoint)}`;
}

/**
 * Upstream members from the watch caches: the manual members the site lists, then the
 * service's ready, in-traffic, not-terminating stable pods in every cluster of the
 * site's environment (see {@link membershipOf}), on the container port named `http`;
 * its canary pods (`k2.io/track: canary`) apart, as the members of every canary.
 *
 * Invariants: `members` reads only memory (the caches and targets {@link
 * PodMembers.prepare} resolved); the same cache contents give the same members in the
 * same order (sorted by address), so every backend replica renders the same file; a
 * pod member at an address a manual member already lists is left out; a canary pod is
 * never a stable member, and a stable pod never a canary member; a site whose
 * service the catalog no longer holds, or that does not run in the environment, gets
 * its manual members only.
 */
export class PodMembers implements UpstreamMemberSource {
  readonly #resolver: K2ServiceResolver;
  readonly #logger: LoggerService;
  readonly #targets = new Map<string, SiteTarget | undefined>();
  /** When each site was last resolved (a failure too, so it is not retried per render). */
  readonly #resolvedAt = new Map<string, number>();
  /** Sites by the kubernetes-id of their service, for following pod changes. */
  readonly #sitesById = new Map<string, Map<string, SiteRef>>();

  constructor(options: { resolver: K2ServiceResolver; logger: LoggerService }) {
    this.#resolver = options.resolver;
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
        target = {
          service,
          target: this.#resolver.target(service, site.environment),
        };
      } catch (error) {
        this.#logger.warn(
          `Upstreams of ${site.service} in ${
            site.environment
          } get their manual members only: ${(error as Error).message}`,
        );
      }
      const knownId = known?.service.spec.kubernetesId;
      if (knownId && knownId !== target?.service.spec.kubernetesId) {
        this.#sitesById.get(knownId)?.delete(key);
      }
      this.#resolvedAt.set(key, now);
      this.#targets.set(key, target);
      if (target) {
        const id = target.service.spec.kubernetesId;
        const byId = this.#sitesById.get(id) ?? new Map();
        byId.set(key, site);
        this.#sitesById.set(id, byId);
      }
    }
  }

  /** Every site with a resolved target, as last prepared. */
  sites(): SiteRef[] {
    return [...this.#sitesById.values()].flatMap(sites => [...sites.values()]);
  }

  /** The service's entity ref as the catalog spells it, for its activity log. */
  serviceRefOf(site: SiteRef): string {
    return this.#targets.get(siteKey(site))?.service.ref ?? site.service;
  }

  /** The clusters whose pods a site's members come from. */
  clustersOf(site: SiteRef): string[] {
    return (
      this.#targets.get(siteKey(site))?.target.clusters.map(c => c.name) ?? []
    );
  }

  /** The sites whose members come from pods labelled with this kubernetes-id. */
  sitesOf(kubernetesId: string): SiteRef[] {
    return [...(this.#sitesById.get(kubernetesId)?.values() ?? [])];
  }

  /** The stable pod members of a site (every upstream of the site gets the same ones). */
  podMembers(site: SiteRef): UpstreamMember[] {
    return this.#pods(site, false);
  }

  /** The canary pod members of a site (every canary of the site gets the same ones). */
  canaryPodMembers(site: SiteRef): UpstreamMember[] {
    return this.#pods(site, true);
  }

  /** The site's member pods of one track, sorted by address. */
  #pods(site: SiteRef, canary: boolean): UpstreamMember[] {
    const resolved = this.#targets.get(siteKey(site));
    if (!resolved) return [];
    const { service, target } = resolved;
    const members: UpstreamMember[] = [];
    for (const { name: cluster } of target.clusters) {
      for (const pod of this.#resolver.objects(
        service,
        target,
        cluster,
        'pods',
      )) {
        if (isCanary(pod) !== canary) continue;
        const endpoint = endpointOf(pod);
        if (!endpoint) continue;
        members.push({
          ...endpoint,
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
    return members.sort((a, b) =>
      memberAddress(a) < memberAddress(b) ? -1 : 1,
    );
  }

  members(
    site: SiteRef,
    upstream: ValidSite['upstreams'][number],
  ): UpstreamMember[] {
    const manual = upstream.members.map(m => ({
      ...m,
      origin: { kind: 'manual' as const },
    }));
    const listed = new Set(manual.map(memberAddress));
    return [
      ...manual,
      ...this.podMembers(site).filter(m => !listed.has(memberAddress(m))),
    ];
  }
}
