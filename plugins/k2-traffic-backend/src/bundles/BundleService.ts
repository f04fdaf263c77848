import { createHash, timingSafeEqual } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { components } from '@internal/plugin-k2-traffic-common';
import { TrafficCluster, TrafficConfig } from '../config/readTrafficConfig';
import {
  NewSiteVersion,
  StoredBundle,
  StoredSiteVersion,
  TrafficStore,
} from '../database/TrafficStore';
import { NginxValidator } from '../nginx/NginxValidator';
import { UpstreamMemberSource } from '../rendering/members';
import { BundleRenderCache, renderBundle } from '../rendering/renderBundle';

/** How often a held agent request looks for a bundle another backend published. */
const DEFAULT_POLL_MS = 1000;
/** Attempts of a publish whose cluster bundle another publish moved meanwhile. */
const PUBLISH_ATTEMPTS = 3;

function digest(token: string) {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A bundle's state for the read API: version and what each host applied. */
type ClusterStatus = components['schemas']['ClusterStatus'];

/**
 * The bundles of the Nginx clusters: built from the sites' current versions and their
 * members, checked with `nginx -t`, stored, and served to the clusters' agents.
 *
 * Invariants: a bundle is stored only after `nginx -t` accepted it; a site version is
 * recorded only together with the bundle containing it, so a refused publish changes
 * neither; within one backend publishes to a cluster run one at a time, across
 * backends the store's compare-and-set makes the later one rebuild on top of the
 * earlier one.
 */
export class BundleService {
  readonly #config: TrafficConfig;
  readonly #store: TrafficStore;
  readonly #validator: NginxValidator;
  readonly #members: UpstreamMemberSource;
  readonly #logger: LoggerService;
  readonly #pollMs: number;
  /** Per cluster, the tail of the chain of its publishes in this backend. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Held agent requests, per cluster, told when the cluster's version changes. */
  readonly #waiters = new Map<string, Set<(version: string) => void>>();
  /** Per cluster, the member files of its last render (used one render at a time). */
  readonly #renderCaches = new Map<string, BundleRenderCache>();
  #pollTimer?: NodeJS.Timeout;

  constructor(options: {
    config: TrafficConfig;
    store: TrafficStore;
    validator: NginxValidator;
    members: UpstreamMemberSource;
    logger: LoggerService;
    /** How often held requests look for another backend's publish. Default 1 s. */
    pollMs?: number;
  }) {
    this.#config = options.config;
    this.#store = options.store;
    this.#validator = options.validator;
    this.#members = options.members;
    this.#logger = options.logger;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  /** The cluster serving `environment`. @throws InputError when none does */
  clusterFor(environment: string): TrafficCluster {
    const cluster = this.#config.clusters.find(c =>
      c.environments.includes(environment),
    );
    if (!cluster) {
      throw new InputError(
        `No Nginx cluster serves environment '${environment}' (k2.traffic.clusters)`,
      );
    }
    return cluster;
  }

  /**
   * Rebuilds every cluster's bundle (see {@link BundleService.refresh}); a cluster
   * whose bundle cannot be rebuilt is logged and keeps its last bundle.
   */
  async refreshAll(): Promise<void> {
    for (const cluster of this.#config.clusters) {
      try {
        await this.refresh(cluster.name);
      } catch (error) {
        this.#logger.warn(
          `Nginx cluster ${
            cluster.name
          }: bundle not rebuilt, agents keep the last one: ${
            (error as Error).message
          }`,
        );
      }
    }
  }

  /**
   * Builds the cluster's bundle from its sites' current versions and members as they
   * are now, and stores it when it differs from the stored one (first start, a cluster
   * that serves other environments now, members that changed). Records no site
   * version.
   *
   * When another backend stores a bundle meanwhile (compare-and-set), this one builds
   * again on top of it, so members this backend saw change are never lost to a bundle
   * another backend built from an older view of the pods; two backends that see the
   * same pods build the same version, and the second stores nothing.
   *
   * @returns whether this call stored a new bundle
   * @throws InputError quoting `nginx -t` when it refuses the rebuilt bundle (the
   *   stored one stays)
   * @throws ConflictError when other backends kept moving the bundle
   */
  async refresh(clusterName: string): Promise<boolean> {
    const cluster = this.#config.clusters.find(c => c.name === clusterName);
    if (!cluster) throw new NotFoundError(`No Nginx cluster '${clusterName}'`);
    return this.#serialized(cluster.name, async () => {
      for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
        const stored = await this.#store.getBundle(cluster.name);
        const sites = await this.#store.currentVersions(cluster.environments);
        await this.#members.prepare?.(sites);
        const bundle = renderBundle(
          cluster,
          sites,
          this.#members,
          this.#renderCache(cluster.name),
        );
        if (stored?.version === bundle.version) return false;
        await this.#validator.check(bundle.files, cluster.certificates);
        if (await this.#store.saveBundle(bundle, stored?.version)) {
          this.#changed(cluster.name, bundle.version);
          this.#logger.info(
            `Nginx cluster ${cluster.name}: bundle ${bundle.version} (${sites.length} sites)`,
          );
          return true;
        }
      }
      throw new ConflictError(
        `The bundle of Nginx cluster ${cluster.name} kept changing while rebuilding it`,
      );
    });
  }

  /**
   * Records `version` of a site together with the cluster bundle that contains it, once
   * `nginx -t` accepts the whole candidate cluster config. With `approves`, the site
   * change waiting for approval it publishes becomes approved in the same write.
   *
   * @throws InputError naming the domain another site of the cluster answers, or
   *   quoting `nginx -t`; nothing is recorded then
   * @throws ConflictError when other publishes kept moving the bundle, or the change
   *   `approves` names was decided meanwhile
   */
  async publish(
    version: NewSiteVersion,
    approves?: number,
  ): Promise<StoredSiteVersion> {
    const cluster = this.clusterFor(version.environment);
    return this.#serialized(cluster.name, async () => {
      for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
        const stored = await this.#store.getBundle(cluster.name);
        const bundle = await this.#candidate(cluster, version);
        const recorded = await this.#store.publish(
          version,
          bundle,
          stored?.version,
          approves,
        );
        if (recorded) {
          this.#changed(cluster.name, bundle.version);
          return recorded;
        }
      }
      throw new ConflictError(
        `The bundle of Nginx cluster ${cluster.name} kept changing while publishing; try again`,
      );
    });
  }

  /**
   * Checks `version` as {@link BundleService.publish} would, with the cluster as it is
   * now, recording nothing: for a change that waits for approval before it is published.
   *
   * @throws InputError naming the domain another site of the cluster answers, or
   *   quoting `nginx -t`
   */
  async check(version: NewSiteVersion): Promise<void> {
    await this.#candidate(this.clusterFor(version.environment), version);
  }

  /**
   * The cluster's bundle with `version` in place of its site's current version, once
   * no other site answers its domains and `nginx -t` accepts it.
   */
  async #candidate(cluster: TrafficCluster, version: NewSiteVersion) {
    const others = (
      await this.#store.currentVersions(cluster.environments)
    ).filter(
      v =>
        v.service !== version.service || v.environment !== version.environment,
    );
    // The test domain, when there is one, comes before the site's own domains.
    const offset =
      version.serverNames.length - (version.document.domains?.length ?? 0);
    version.serverNames.forEach((name, i) => {
      const holder = others.find(v => v.serverNames.includes(name));
      if (holder) {
        throw new InputError(
          `${
            i < offset ? 'test domain' : `site.domains[${i - offset}]`
          }: '${name}' is a domain of ${holder.service} in ${
            holder.environment
          } on the same Nginx cluster`,
        );
      }
    });
    await this.#members.prepare?.([...others, version]);
    const bundle = renderBundle(
      cluster,
      [...others, version],
      this.#members,
      this.#renderCache(cluster.name),
    );
    await this.#validator.check(bundle.files, cluster.certificates);
    return bundle;
  }

  /**
   * The cluster an agent request is for, once its token and host are checked. The
   * token is compared in constant time and never logged.
   *
   * @throws NotFoundError for an unknown cluster
   * @throws AuthenticationError for a missing or wrong token
   * @throws NotAllowedError for a host the cluster does not list
   */
  authenticate(
    clusterName: string,
    host: string,
    authorization: string | undefined,
  ): TrafficCluster {
    const cluster = this.#config.clusters.find(c => c.name === clusterName);
    if (!cluster) {
      throw new NotFoundError(`No Nginx cluster '${clusterName}'`);
    }
    const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    if (
      !match ||
      !timingSafeEqual(digest(match[1]), digest(cluster.agentToken))
    ) {
      throw new AuthenticationError(
        `Not the agent token of Nginx cluster '${cluster.name}'`,
      );
    }
    if (!cluster.hosts.includes(host)) {
      throw new NotAllowedError(
        `Host '${host}' is not a host of Nginx cluster '${cluster.name}'`,
      );
    }
    return cluster;
  }

  /**
   * The cluster's bundle as soon as its version differs from `after`, or undefined
   * when it did not change within `timeoutMs` (or the request went away).
   */
  async waitForChange(
    cluster: string,
    after: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<StoredBundle | undefined> {
    const current = await this.#store.getBundle(cluster);
    if (current && current.version !== after) return current;
    const changed = await new Promise<boolean>(resolve => {
      const waiters = this.#waiters.get(cluster) ?? new Set();
      this.#waiters.set(cluster, waiters);
      const held: {
        timer?: NodeJS.Timeout;
        aborted?: () => void;
        onChange?: (version: string) => void;
      } = {};
      const finish = (result: boolean) => {
        clearTimeout(held.timer);
        signal.removeEventListener('abort', held.aborted!);
        waiters.delete(held.onChange!);
        if (waiters.size === 0) this.#waiters.delete(cluster);
        if (this.#waiters.size === 0) this.#stopPolling();
        resolve(result);
      };
      held.aborted = () => finish(false);
      held.onChange = version => {
        if (version !== after) finish(true);
      };
      held.timer = setTimeout(() => finish(false), timeoutMs);
      signal.addEventListener('abort', held.aborted);
      waiters.add(held.onChange);
      this.#startPolling();
    });
    if (!changed) return undefined;
    const bundle = await this.#store.getBundle(cluster);
    return bundle && bundle.version !== after ? bundle : undefined;
  }

  /** Keeps what a host reported. */
  async report(report: {
    cluster: string;
    host: string;
    version: string;
    ok: boolean;
    error?: string;
  }): Promise<void> {
    await this.#store.recordReport({
      ...report,
      reportedAt: new Date().toISOString(),
    });
    if (!report.ok) {
      this.#logger.warn(
        `Nginx host ${report.host} of cluster ${report.cluster} did not apply ${report.version}`,
      );
    }
  }

  /** Every cluster's bundle version and what each of its hosts applied. */
  async clusters(): Promise<ClusterStatus[]> {
    return Promise.all(
      this.#config.clusters.map(async cluster => {
        const bundle = await this.#store.getBundle(cluster.name);
        const reports = await this.#store.listReports(cluster.name);
        return {
          name: cluster.name,
          environments: cluster.environments,
          ...(bundle
            ? {
                version: bundle.version,
                hash: bundle.hash,
                updatedAt: bundle.updatedAt,
              }
            : {}),
          hosts: cluster.hosts.map(host => {
            const report = reports.find(r => r.host === host);
            return {
              name: host,
              ...(report?.appliedVersion
                ? { appliedVersion: report.appliedVersion }
                : {}),
              ...(report ? { reportedAt: report.reportedAt } : {}),
              ...(report && !report.ok && report.error
                ? { error: report.error }
                : {}),
              drift: !bundle || report?.appliedVersion !== bundle.version,
            };
          }),
        };
      }),
    );
  }

  /** Ends the polling for other backends' publishes. */
  stop() {
    this.#stopPolling();
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters) waiter('');
    }
  }

  #changed(cluster: string, version: string) {
    for (const waiter of [...(this.#waiters.get(cluster) ?? [])]) {
      waiter(version);
    }
  }

  /** While requests are held, one query per interval reads every cluster's version. */
  #startPolling() {
    if (this.#pollTimer) return;
    this.#pollTimer = setInterval(async () => {
      try {
        const versions = await this.#store.bundleVersions();
        for (const [cluster, version] of versions) {
          this.#changed(cluster, version);
        }
      } catch (error) {
        this.#logger.warn(
          `Cannot read the bundle versions: ${(error as Error).message}`,
        );
      }
    }, this.#pollMs);
  }

  #stopPolling() {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  #renderCache(cluster: string): BundleRenderCache {
    let cache = this.#renderCaches.get(cluster);
    if (!cache) {
      cache = new BundleRenderCache();
      this.#renderCaches.set(cluster, cache);
    }
    return cache;
  }

  /** Runs `work` after every earlier publish to `cluster` in this backend. */
  #serialized<T>(cluster: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(cluster) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#queues.set(cluster, tail);
    tail.then(() => {
      if (this.#queues.get(cluster) === tail) this.#queues.delete(cluster);
    });
    return next;
  }
}
