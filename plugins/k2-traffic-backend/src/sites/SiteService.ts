import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import {
  k2TrafficClustersReadPermission,
  k2TrafficSitePublishApprovedPermission,
  k2TrafficSitePublishPermission,
  k2TrafficSiteReadPermission,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2EnvironmentRegistry,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { BundleService } from '../bundles/BundleService';
import { StoredSiteVersion, TrafficStore } from '../database/TrafficStore';
import { UpstreamMemberSource } from '../rendering/members';
import { filesHash, renderSite } from '../rendering/renderSite';
import { TemplateRegistry } from '../templates/TemplateRegistry';
import { TrafficSite, UpstreamMember, validateSite } from './validateSite';

/** A site version as the API shows it. */
function versionView(
  version: Omit<
    StoredSiteVersion,
    'document' | 'files' | 'upstreams' | 'serverNames'
  >,
) {
  return {
    number: version.number,
    service: version.service,
    environment: version.environment,
    author: version.createdBy,
    createdAt: version.createdAt,
    message: version.message,
    contentHash: version.contentHash,
    ...(version.rollbackOf !== undefined
      ? { rollbackOf: version.rollbackOf }
      : {}),
  };
}

/** A full version: its summary, the site document and its rendered files. */
function fullVersionView(version: StoredSiteVersion) {
  return {
    ...versionView(version),
    site: version.document,
    files: version.files,
  };
}

/** Pod members as the site view shows them: address, port, cluster and pod. */
function podMemberViews(members: UpstreamMember[] = []) {
  return members.flatMap(m =>
    m.origin?.kind === 'pod'
      ? [
          {
            address: m.host,
            port: m.port,
            cluster: m.origin.cluster,
            pod: m.origin.pod,
          },
        ]
      : [],
  );
}

/**
 * A service's Nginx site per environment: reading it and its versions, publishing a
 * new version, rolling back (publishing an older version's document again).
 *
 * Invariants: every publish goes through the action gate (permission, audit event,
 * activity entry); in an environment whose changes need approval only the
 * approval-free publish permission (platform admins) lets it through; a site is
 * validated, rendered and checked with `nginx -t` with the whole cluster before
 * anything is recorded; versions are never changed or deleted.
 */
export class SiteService {
  readonly #store: TrafficStore;
  readonly #bundles: BundleService;
  readonly #templates: TemplateRegistry;
  readonly #members: UpstreamMemberSource;
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #environments: K2EnvironmentRegistry;

  constructor(options: {
    store: TrafficStore;
    bundles: BundleService;
    templates: TemplateRegistry;
    members: UpstreamMemberSource;
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    environments: K2EnvironmentRegistry;
  }) {
    this.#store = options.store;
    this.#bundles = options.bundles;
    this.#templates = options.templates;
    this.#members = options.members;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#environments = options.environments;
  }

  /**
   * The site in `environment`: its cluster, test domain, server names, current
   * version, and the pods its upstreams send to (stable) and its canaries send to.
   *
   * @throws NotFoundError for a service the catalog does not hold
   * @throws InputError when the service does not run in `environment` or no Nginx
   *   cluster serves it
   */
  async view(ref: CompoundEntityRef, environment: string, caller: Caller) {
    const { service, target } = await this.#readable(ref, environment, caller);
    const cluster = this.#bundles.clusterFor(environment);
    const current = await this.#store.currentVersion(service, environment);
    const site = { service, environment };
    await this.#members.prepare?.([site]);
    return {
      service,
      environment,
      cluster: cluster.name,
      podMembers: podMemberViews(this.#members.podMembers?.(site)),
      canaryMembers: podMemberViews(this.#members.canaryPodMembers?.(site)),
      ...(target.domain ? { testDomain: target.domain } : {}),
      domains: current?.serverNames ?? (target.domain ? [target.domain] : []),
      ...(current ? { current: fullVersionView(current) } : {}),
    };
  }

  /**
   * Every published site: the current version of each service and environment an
   * Nginx cluster serves, without documents or files (the catalog's Nginx site
   * resources). Readable by whoever may read the clusters' state.
   */
  async published(caller: Caller) {
    await this.#gate.authorize('Nginx sites', caller, {
      permission: k2TrafficClustersReadPermission,
      verb: 'read',
    });
    const environments = this.#environments.listEnvironments().map(e => e.name);
    const versions = await this.#store.currentVersions(environments);
    return versions
      .map(v => ({
        service: v.service,
        environment: v.environment,
        cluster: v.cluster,
        version: v.number,
        serverNames: v.serverNames,
        publishedAt: v.createdAt,
      }))
      .sort((a, b) =>
        a.environment === b.environment
          ? a.service.localeCompare(b.service)
          : a.environment.localeCompare(b.environment),
      );
  }

  async versions(
    ref: CompoundEntityRef,
    environment: string,
    query: { limit: number; before?: number },
    caller: Caller,
  ) {
    const { service } = await this.#readable(ref, environment, caller);
    const page = await this.#store.listVersions({
      service,
      environment,
      ...query,
    });
    return { items: page.items.map(versionView), total: page.total };
  }

  /** @throws NotFoundError when the site has no such version */
  async version(
    ref: CompoundEntityRef,
    environment: string,
    number: number,
    caller: Caller,
  ) {
    const { service } = await this.#readable(ref, environment, caller);
    return fullVersionView(await this.#existing(service, environment, number));
  }

  /** Both versions in full; the page computes the diff. */
  async compare(
    ref: CompoundEntityRef,
    environment: string,
    from: number,
    to: number,
    caller: Caller,
  ) {
    const { service } = await this.#readable(ref, environment, caller);
    return {
      from: fullVersionView(await this.#existing(service, environment, from)),
      to: fullVersionView(await this.#existing(service, environment, to)),
    };
  }

  /**
   * Publishes `input.site` as the site's next version.
   *
   * @throws NotAllowedError for a caller the policy refuses (another team; a
   *   non-admin in an environment that needs approval)
   * @throws InputError naming the field of a bad value, a domain another site
   *   answers, or quoting `nginx -t`
   */
  async publish(
    ref: CompoundEntityRef,
    environment: string,
    input: { site: TrafficSite; message: string },
    caller: Caller,
  ) {
    return this.#publish(ref, environment, input, caller, undefined);
  }

  /** Publishes the document of version `number` again, as the next version. */
  async rollback(
    ref: CompoundEntityRef,
    environment: string,
    number: number,
    input: { message?: string },
    caller: Caller,
  ) {
    return this.#publish(
      ref,
      environment,
      { site: undefined, message: input.message },
      caller,
      number,
    );
  }

  async #publish(
    ref: CompoundEntityRef,
    environment: string,
    input: { site?: TrafficSite; message?: string },
    caller: Caller,
    rollbackOf: number | undefined,
  ) {
    const service = stringifyEntityRef(ref);
    const approval =
      this.#environments.getEnvironment(environment)?.approval.required ??
      false;
    const stored = await this.#gate.audited(
      caller,
      rollbackOf === undefined
        ? 'traffic-site-publish'
        : 'traffic-site-rollback',
      {
        service,
        environment,
        summary:
          rollbackOf === undefined
            ? `Publish the traffic site in ${environment}`
            : `Roll the traffic site in ${environment} back to version ${rollbackOf}`,
      },
      approval
        ? {
            permission: k2TrafficSitePublishApprovedPermission,
            verb: 'publish the traffic site of',
            refusal: `Changes in ${environment} need approval, and Traffic has no approvals yet: only platform admins may publish sites there`,
          }
        : {
            permission: k2TrafficSitePublishPermission,
            verb: 'publish the traffic site of',
          },
      async () => {
        const resolved = await this.#resolver.service(ref);
        // The workload identity must be this service's: it names the test domain.
        const target = this.#resolver.actionTarget(resolved, environment);
        const serviceRef = resolved.ref.toLocaleLowerCase('en-US');
        let site = input.site;
        let message = input.message;
        if (rollbackOf !== undefined) {
          const old = await this.#existing(serviceRef, environment, rollbackOf);
          site = old.document;
          message ??= `Roll back to version ${rollbackOf}`;
        }
        const cluster = this.#bundles.clusterFor(environment);
        const valid = validateSite(site!, {
          testDomain: target.domain,
          wildcardDomains: this.#environments
            .listEnvironments()
            .flatMap(e => (e.wildcardDomain ? [e.wildcardDomain] : [])),
          certificates: cluster.certificates,
          templates: this.#templates,
        });
        const siteRef = { service: serviceRef, environment };
        await this.#members.prepare?.([siteRef]);
        const files = renderSite(
          siteRef,
          valid,
          this.#templates,
          this.#members,
        );
        const version = await this.#bundles.publish({
          ...siteRef,
          cluster: cluster.name,
          document: site!,
          serverNames: valid.serverNames,
          upstreams: valid.upstreams,
          files,
          contentHash: filesHash(files),
          message: message!,
          createdBy: actorOf(caller.credentials),
          rollbackOf,
        });
        return {
          version,
          summary: `Published traffic site version ${
            version.number
          } in ${environment}${
            rollbackOf !== undefined ? ` (version ${rollbackOf} again)` : ''
          }: ${version.message}`,
        };
      },
    );
    return fullVersionView(stored.version);
  }

  async #readable(ref: CompoundEntityRef, environment: string, caller: Caller) {
    const resolved = await this.#resolver.service(ref);
    await this.#gate.authorize(resolved.ref, caller, {
      permission: k2TrafficSiteReadPermission,
      verb: 'read the traffic site of',
    });
    return {
      service: resolved.ref.toLocaleLowerCase('en-US'),
      target: this.#resolver.target(resolved, environment),
    };
  }

  async #existing(service: string, environment: string, number: number) {
    const version = await this.#store.getVersion(service, environment, number);
    if (!version) {
      throw new NotFoundError(
        `${service} has no traffic site version ${number} in ${environment}`,
      );
    }
    return version;
  }
}
