import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  k2TrafficClustersReadPermission,
  k2TrafficSiteApprovePermission,
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
import {
  NewSiteVersion,
  StoredSiteChange,
  StoredSiteVersion,
  TrafficStore,
} from '../database/TrafficStore';
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
    ...(version.approvedBy !== undefined
      ? { approvedBy: version.approvedBy }
      : {}),
  };
}

/** A site change as the API shows it: the stored change, its document as `site`. */
function changeView(change: StoredSiteChange) {
  const { document, cluster: _cluster, ...rest } = change;
  return { ...rest, site: document };
}

/** A publish or rollback: published as a version, or waiting for approval. */
export type PublishOutcome =
  | { version: ReturnType<typeof fullVersionView> }
  | { waiting: ReturnType<typeof changeView> };

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
 * Invariants: every publish, approval, rejection and withdrawal goes through the action gate
 * (permission, audit event, activity entry); a site is validated, rendered and checked
 * with `nginx -t` with the whole cluster before anything is recorded, and again when
 * an approval publishes it; in an environment whose changes need approval a publish or
 * rollback only records a waiting site change (never in a bundle), one per site, which
 * becomes a version only through an approver who is not its requester (K2's policy);
 * versions are never changed or deleted.
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
    const waiting = await this.#store.waitingChange(service, environment);
    return {
      items: page.items.map(versionView),
      total: page.total,
      ...(waiting ? { waiting: changeView(waiting) } : {}),
    };
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
   * Publishes `input.site` as the site's next version, or, in an environment whose
   * changes need approval, records it as the site's waiting change.
   *
   * @throws NotAllowedError for a caller the policy refuses (another team)
   * @throws InputError naming the field of a bad value, a domain another site
   *   answers, or quoting `nginx -t`
   * @throws ConflictError naming the change already waiting for approval
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
  ): Promise<PublishOutcome> {
    const service = stringifyEntityRef(ref);
    const approval =
      this.#environments.getEnvironment(environment)?.approval.required ??
      false;
    const outcome = await this.#gate.audited(
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
      {
        permission: k2TrafficSitePublishPermission,
        verb: 'publish the traffic site of',
      },
      async (): Promise<
        | { version: StoredSiteVersion; summary: string }
        | { change: StoredSiteChange; summary: string }
      > => {
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
        const again =
          rollbackOf !== undefined ? ` (version ${rollbackOf} again)` : '';
        if (approval) {
          await this.#assertNothingWaiting(serviceRef, environment);
        }
        const version = await this.#candidate(
          serviceRef,
          environment,
          target.domain,
          site!,
          {
            message: message!,
            createdBy: actorOf(caller.credentials),
            rollbackOf,
          },
        );
        if (!approval) {
          const stored = await this.#bundles.publish(version);
          return {
            version: stored,
            summary: `Published traffic site version ${stored.number} in ${environment}${again}: ${stored.message}`,
          };
        }
        // Checked now, so approvers only see changes Nginx accepted when asked for.
        await this.#bundles.check(version);
        const change = await this.#store.requestChange({
          service: serviceRef,
          environment,
          cluster: version.cluster,
          document: version.document,
          message: version.message,
          rollbackOf,
          contentHash: version.contentHash,
          requestedBy: version.createdBy,
        });
        if (!change) {
          // Another publish of the site started waiting meanwhile.
          await this.#assertNothingWaiting(serviceRef, environment);
          throw new ConflictError(
            `${serviceRef} already has a traffic site change waiting for approval in ${environment}`,
          );
        }
        return {
          change,
          summary: `Asked to publish the traffic site in ${environment}${again}: change #${change.id} waits for approval: ${change.message}`,
        };
      },
    );
    return 'change' in outcome
      ? { waiting: changeView(outcome.change) }
      : { version: fullVersionView(outcome.version) };
  }

  /**
   * Approves the site's waiting change `id`: it is validated, rendered and checked
   * with `nginx -t` with the cluster as it is now, and published as the next version
   * (authored by its requester, approved by the caller). A change Nginx now rejects
   * stays waiting: the refusal quotes `nginx -t`, and an approver may reject it.
   *
   * @throws NotFoundError when the site has no change `id`
   * @throws NotAllowedError for a caller who may not approve it (not an approver of
   *   the environment, or its own requester)
   * @throws ConflictError when the change is no longer waiting
   */
  async approve(
    ref: CompoundEntityRef,
    environment: string,
    id: number,
    caller: Caller,
  ) {
    const change = await this.#changeOf(ref, environment, id);
    const outcome = await this.#gate.audited(
      caller,
      'traffic-site-approve',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Approve traffic site change #${id} in ${environment}`,
      },
      this.#approval(change, caller),
      async () => {
        this.#assertWaiting(change);
        const resolved = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(resolved, environment);
        const version = await this.#candidate(
          change.service,
          environment,
          target.domain,
          change.document,
          {
            message: change.message,
            createdBy: change.requestedBy,
            rollbackOf: change.rollbackOf,
            approvedBy: actorOf(caller.credentials),
          },
        );
        const stored = await this.#bundles.publish(version, change.id);
        return {
          version: stored,
          summary: `Approved traffic site change #${id} by ${change.requestedBy}: published as version ${stored.number} in ${environment}: ${stored.message}`,
        };
      },
    );
    return fullVersionView(outcome.version);
  }

  /**
   * Rejects the site's waiting change `id`: nothing is published, and the site may
   * have a new change.
   *
   * @throws NotFoundError when the site has no change `id`
   * @throws NotAllowedError for a caller who may not approve it
   * @throws ConflictError when the change is no longer waiting
   */
  async reject(
    ref: CompoundEntityRef,
    environment: string,
    id: number,
    input: { reason?: string },
    caller: Caller,
  ) {
    const change = await this.#changeOf(ref, environment, id);
    const outcome = await this.#gate.audited(
      caller,
      'traffic-site-reject',
      {
        service: stringifyEntityRef(ref),
        environment,
        summary: `Reject traffic site change #${id} in ${environment}`,
      },
      this.#approval(change, caller),
      async () => {
        this.#assertWaiting(change);
        const actor = actorOf(caller.credentials);
        const rejected = await this.#store.closeChange(id, {
          status: 'rejected',
          decidedBy: actor,
          reason: input.reason?.trim() || `Rejected by ${actor}`,
        });
        if (!rejected) {
          this.#assertWaiting((await this.#store.getChange(id))!);
        }
        return {
          change: rejected!,
          summary: `Rejected traffic site change #${id} by ${change.requestedBy} in ${environment}`,
        };
      },
    );
    return changeView(outcome.change);
  }

  /**
   * Withdraws the site's waiting change `id` for its requester: nothing is published,
   * the change is kept as `withdrawn` (who, when, why), and the site may have a new
   * change. The caller needs `k2.traffic.site.publish` on the service (as for asking);
   * anyone but the requester must also be allowed to decide the change (platform
   * admins; approvers, who could reject it anyway).
   *
   * @throws NotFoundError when the site has no change `id`
   * @throws NotAllowedError for a caller who may not publish the site, or who is not
   *   its requester and may not decide it
   * @throws ConflictError when the change is no longer waiting
   */
  async withdraw(
    ref: CompoundEntityRef,
    environment: string,
    id: number,
    input: { reason?: string },
    caller: Caller,
  ) {
    const change = await this.#changeOf(ref, environment, id);
    const service = stringifyEntityRef(ref);
    const actor = actorOf(caller.credentials);
    const outcome = await this.#gate.audited(
      caller,
      'traffic-site-withdraw',
      {
        service,
        environment,
        summary: `Withdraw traffic site change #${id} in ${environment}`,
      },
      {
        permission: k2TrafficSitePublishPermission,
        verb: 'withdraw traffic site changes of',
      },
      async () => {
        if (actor !== change.requestedBy) {
          await this.#gate.authorize(service, caller, {
            permission: k2TrafficSiteApprovePermission,
            verb: 'withdraw traffic site changes of',
            resourceRef: String(change.id),
            refusal: `Traffic site change #${change.id} was asked for by ${change.requestedBy}: only they (or a platform admin) withdraw it`,
          });
        }
        this.#assertWaiting(change);
        const withdrawn = await this.#store.closeChange(id, {
          status: 'withdrawn',
          decidedBy: actor,
          reason: input.reason?.trim() || `Withdrawn by ${actor}`,
        });
        if (!withdrawn) {
          this.#assertWaiting((await this.#store.getChange(id))!);
        }
        return {
          change: withdrawn!,
          summary: `Withdrew traffic site change #${id} by ${change.requestedBy} in ${environment}`,
        };
      },
    );
    return changeView(outcome.change);
  }

  /** The site's change `id`, once the service is known. @throws NotFoundError */
  async #changeOf(ref: CompoundEntityRef, environment: string, id: number) {
    const resolved = await this.#resolver.service(ref);
    const service = resolved.ref.toLocaleLowerCase('en-US');
    const change = await this.#store.getChange(id);
    // Another site's change is not this site's to decide, nor to reveal.
    if (
      !change ||
      change.service !== service ||
      change.environment !== environment
    ) {
      throw new NotFoundError(
        `${service} has no traffic site change ${id} in ${environment}`,
      );
    }
    return change;
  }

  /** Deciding `change`: the approve permission on the change, and how a refusal reads. */
  #approval(change: StoredSiteChange, caller: Caller) {
    const group =
      this.#environments.getEnvironment(change.environment)?.approval
        .approverGroup ?? 'the approver group';
    return {
      permission: k2TrafficSiteApprovePermission,
      verb: 'decide traffic site changes of',
      resourceRef: String(change.id),
      refusal:
        actorOf(caller.credentials) === change.requestedBy
          ? `You asked for traffic site change #${change.id}: another member of ${group} (or a platform admin) decides it`
          : `Traffic site changes in ${change.environment} are decided by members of ${group}`,
    };
  }

  /** @throws ConflictError when `change` was already decided */
  #assertWaiting(change: StoredSiteChange) {
    if (change.status !== 'waiting') {
      throw new ConflictError(
        `Traffic site change #${change.id} is ${change.status}${
          change.decidedBy ? ` (by ${change.decidedBy})` : ''
        }, not waiting for approval`,
      );
    }
  }

  /** @throws ConflictError naming the site's change waiting for approval */
  async #assertNothingWaiting(service: string, environment: string) {
    const waiting = await this.#store.waitingChange(service, environment);
    if (waiting) {
      throw new ConflictError(
        `${service} already has traffic site change #${waiting.id} (by ${waiting.requestedBy}, ${waiting.requestedAt}) waiting for approval in ${environment}; have it approved or rejected, or withdraw it, first`,
      );
    }
  }

  /**
   * The version `site` would publish: validated (naming the field of a bad value) and
   * rendered with the service's members as they are now.
   */
  async #candidate(
    service: string,
    environment: string,
    testDomain: string | undefined,
    site: TrafficSite,
    meta: Pick<
      NewSiteVersion,
      'message' | 'createdBy' | 'rollbackOf' | 'approvedBy'
    >,
  ): Promise<NewSiteVersion> {
    const cluster = this.#bundles.clusterFor(environment);
    const valid = validateSite(site, {
      testDomain,
      wildcardDomains: this.#environments
        .listEnvironments()
        .flatMap(e => (e.wildcardDomain ? [e.wildcardDomain] : [])),
      certificates: cluster.certificates,
      templates: this.#templates,
    });
    const siteRef = { service, environment };
    await this.#members.prepare?.([siteRef]);
    const files = renderSite(siteRef, valid, this.#templates, this.#members);
    return {
      ...siteRef,
      cluster: cluster.name,
      document: site,
      serverNames: valid.serverNames,
      upstreams: valid.upstreams,
      files,
      contentHash: filesHash(files),
      ...meta,
    };
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
