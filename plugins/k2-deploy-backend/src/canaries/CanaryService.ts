import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { ConflictError, isError, NotFoundError } from '@backstage/errors';
import {
  K2Canary,
  K2CanaryClusterPods,
  K2CanaryInput,
  k2CanaryStartApprovedPermission,
  K2CanaryState,
  k2ReleaseCreatePermission,
  K2ReleaseSpec,
  K2ReleaseStatus,
  LABEL_ENVIRONMENT,
  LABEL_TRACK,
  TRACK_CANARY,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2EnvironmentRegistry,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { CanaryStore, StoredCanary } from '../database/CanaryStore';
import { ReleaseStore, StoredRelease } from '../database/ReleaseStore';
import { assertWithinLimits } from '../releases/limits';
import { checkOwnership, ForeignObjectError } from '../releases/ownership';
import { readClusterCallTimeout } from '../releases/ReleaseDriver';
import { ReleaseEngine } from '../releases/ReleaseEngine';
import { maskedSpec } from '../releases/releaseView';
import { resolveImage } from '../releases/resolveReleaseSpec';
import { canaryName, renderCanary } from './renderCanary';

const CLUSTER_CALL_TIMEOUT_KEY = 'k2.releases.clusterCallTimeout';

/** How a promotion release ends without rolling the canary's image out. */
const UNPROMOTED: K2ReleaseStatus[] = [
  'failed',
  'timed-out',
  'rejected',
  'cancelled',
  'expired',
];

/**
 * Canary releases: a new image runs as `<name>-canary` beside a service's stable
 * release in one environment (same namespace, clusters and pod template, image
 * replaced, pods labelled `k2.io/track: canary`), until it is promoted or aborted.
 *
 * Invariants:
 * - at most one canary runs per service and environment (the store's unique key);
 * - a canary starts only beside a stable release, and never touches the stable
 *   Deployment, the Service or the autoscaler;
 * - a canary's state lists every cluster its Deployment may exist in: when a cluster
 *   refuses it, the Deployments already applied are removed and the state says
 *   `failed` with that cluster's error (and names any cluster the removal failed in);
 * - promoting is a release of the canary's image (and its variables and limits)
 *   through {@link ReleaseEngine}, gated as any release (approvals included); the canary
 *   keeps serving until that release succeeded, and only then is it removed and
 *   recorded `promoted`. A promotion release that does not succeed leaves the canary
 *   running, saying so.
 */
export class CanaryService {
  readonly #canaries: CanaryStore;
  readonly #releases: ReleaseStore;
  readonly #engine: ReleaseEngine;
  readonly #resolver: K2ServiceResolver;
  readonly #environments: K2EnvironmentRegistry;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #callTimeoutMs: number;
  #pass?: Promise<void>;
  #again = false;

  constructor(options: {
    canaries: CanaryStore;
    releases: ReleaseStore;
    engine: ReleaseEngine;
    resolver: K2ServiceResolver;
    environments: K2EnvironmentRegistry;
    gate: K2ActionGate;
    access: K2ClusterAccess;
    logger: LoggerService;
    /** Read for `k2.releases.clusterCallTimeout`. */
    config?: Config;
  }) {
    this.#canaries = options.canaries;
    this.#releases = options.releases;
    this.#engine = options.engine;
    this.#resolver = options.resolver;
    this.#environments = options.environments;
    this.#gate = options.gate;
    this.#access = options.access;
    this.#logger = options.logger;
    this.#callTimeoutMs = readClusterCallTimeout(options.config);
  }

  /**
   * The environment's running canary, else its newest one, with the live canary pods
   * of each cluster from the watch caches. Anyone who may read the service's releases
   * may read it.
   */
  async get(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2CanaryState> {
    const service = stringifyEntityRef(ref);
    await this.#engine.authorizeRead(service, caller);
    this.#resolver.target(await this.#resolver.service(ref), environment);
    const canary = await this.#canaries.getLatest(service, environment);
    return canary ? { canary: this.#view(canary) } : {};
  }

  /**
   * Starts a canary of `input.image` beside the stable release: `input.replicas` pods
   * (1 unless given) in each of the stable release's clusters.
   *
   * @throws NotAllowedError for callers who may not release the service, and in an
   * environment whose releases need approval for all but platform admins
   * @throws InputError for an image K2 would not release, or replicas beyond the
   * environment's limits
   * @throws ConflictError when a canary already runs there, or no stable release does
   */
  async start(
    ref: CompoundEntityRef,
    environment: string,
    input: K2CanaryInput,
    caller: Caller,
  ): Promise<K2Canary> {
    const service = stringifyEntityRef(ref);
    const approval = this.#environments.model.environments.find(
      e => e.name === environment,
    )?.approval.required;
    return this.#gate.audited(
      caller,
      'canary-start',
      {
        service,
        environment,
        summary: `Start a canary of ${input.image} in ${environment}`,
      },
      approval
        ? {
            permission: k2CanaryStartApprovedPermission,
            verb: 'start a canary of',
            refusal: `Releases to ${environment} need approval, and a canary reaches users without one: only platform admins may start a canary there; release the image for approval instead`,
          }
        : { permission: k2ReleaseCreatePermission, verb: 'start a canary of' },
      async () => {
        const resolved = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(resolved, environment);
        const image = resolveImage(
          input.image.trim(),
          resolved.spec,
          resolved.entity,
        );
        await this.#engine.checkImage(image);
        const replicas = input.replicas ?? 1;
        const stable = await this.#releases.getCurrent(service, environment);
        if (!stable) {
          throw new ConflictError(
            `${service} has no stable release running in ${environment}; release it first, then start a canary beside it`,
          );
        }
        const clusters = stable.spec.clusters.map(c => ({
          ...c,
          replicas,
        }));
        assertWithinLimits(target.environment, {
          replicas: {
            count: replicas * clusters.length,
            field: `replicas (${replicas} in each of ${clusters.length} clusters)`,
          },
        });
        const spec: K2ReleaseSpec = {
          ...stable.spec,
          image,
          replicas: replicas * clusters.length,
          clusters,
          autoscaling: undefined,
        };
        const result = await this.#canaries.create({
          service,
          environment,
          namespace: spec.namespace,
          image,
          replicas,
          spec,
          baseRelease: { id: stable.id, number: stable.number },
          startedBy: actorOf(caller.credentials),
        });
        if ('running' in result) {
          const r = result.running;
          throw new ConflictError(
            `${service} already has a canary of ${r.image} (started by ${r.startedBy}) running in ${environment}; promote or abort it first`,
          );
        }
        const started = await this.#apply(result.created, stable);
        return Object.assign(this.#view(started), {
          summary: `Started a canary of ${image} in ${environment} (${replicas} per cluster, beside release #${stable.number})`,
        });
      },
    );
  }

  /**
   * Applies the canary Deployment to every cluster. When a cluster refuses it, the
   * ones applied are removed, the canary is recorded `failed` with the cluster's error,
   * and that error is thrown.
   */
  async #apply(
    canary: StoredCanary,
    stable: StoredRelease,
  ): Promise<StoredCanary> {
    const { spec } = canary;
    const touched: string[] = [];
    try {
      for (const cluster of spec.clusters) {
        const cache = this.#access.cache(cluster.name);
        const object = renderCanary(spec, {
          service: canary.service,
          environment: canary.environment,
          cluster: cluster.name,
          replicas: cluster.replicas,
          releaseId: stable.template.releaseId,
          releaseNumber: stable.template.number,
          restartedAt: stable.template.restartedAt,
          // An adopted service's pods keep the labels its Deployment selects.
          keptSelector: cache
            .store('deployments')
            .get(spec.namespace, spec.name)?.spec?.selector?.matchLabels,
        });
        checkOwnership(cache, object, spec.name);
        // Listed before the call: an apply that times out may still have created it.
        touched.push(cluster.name);
        await this.#access.apply(cluster.name, object, {
          force: true,
          timeoutMs: this.#callTimeoutMs,
          timeoutKey: CLUSTER_CALL_TIMEOUT_KEY,
        });
      }
    } catch (error) {
      const failedIn = touched.length
        ? touched[touched.length - 1]
        : spec.clusters[0]?.name;
      // Only clusters the canary was applied to (or may have been) can hold it.
      const left = await this.#remove(canary, touched);
      const reason = isError(error) ? error.message : String(error);
      const message = `Could not start in cluster '${failedIn}': ${reason}${
        left.length
          ? `; removing it failed, so ${canaryName(
              spec.name,
            )} may still run in ${left.map(c => `'${c}'`).join(', ')}`
          : '; removed from every cluster'
      }`;
      await this.#canaries.transition(
        canary.id,
        { status: 'running' },
        {
          status: 'failed',
          message,
          endedBy: 'k2',
          endedAt: new Date(),
        },
      );
      if (error instanceof ForeignObjectError) {
        throw new ConflictError(error.message);
      }
      throw error;
    }
    return canary;
  }

  /**
   * Deletes the canary Deployment from `clusters` (already gone is fine); returns the
   * clusters where deleting failed.
   */
  async #remove(canary: StoredCanary, clusters: string[]): Promise<string[]> {
    const failed: string[] = [];
    for (const cluster of clusters) {
      try {
        await this.#access.delete(
          cluster,
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: {
              name: canaryName(canary.spec.name),
              namespace: canary.namespace,
            },
          },
          {
            timeoutMs: this.#callTimeoutMs,
            timeoutKey: CLUSTER_CALL_TIMEOUT_KEY,
          },
        );
      } catch (error) {
        this.#logger.warn(
          `Canary ${canary.id} (${canary.service} in ${canary.environment}): could not remove it from cluster '${cluster}': ${error}`,
        );
        failed.push(cluster);
      }
    }
    return failed;
  }

  /** The running canary of the target, or a 404 saying there is none. */
  async #runningCanary(service: string, environment: string) {
    const canary = await this.#canaries.getLatest(service, environment);
    if (canary?.status !== 'running') {
      throw new NotFoundError(
        `${service} has no canary running in ${environment}`,
      );
    }
    return canary;
  }

  /**
   * Aborts the running canary: its Deployments are removed from every cluster, all
   * traffic is back on the stable pods, and it is recorded `aborted`. When a cluster
   * cannot remove it, it stays `running` (it still runs there) and the error is thrown.
   */
  async abort(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2Canary> {
    const service = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'canary-abort',
      { service, environment, summary: `Abort the canary in ${environment}` },
      { permission: k2ReleaseCreatePermission, verb: 'abort the canary of' },
      async () => {
        this.#resolver.target(await this.#resolver.service(ref), environment);
        const canary = await this.#runningCanary(service, environment);
        const left = await this.#remove(
          canary,
          canary.spec.clusters.map(c => c.name),
        );
        if (left.length) {
          throw new ConflictError(
            `Could not remove the canary from ${left
              .map(c => `'${c}'`)
              .join(', ')}; it still runs there: try again`,
          );
        }
        const actor = actorOf(caller.credentials);
        const aborted = await this.#canaries.transition(
          canary.id,
          { status: 'running' },
          {
            status: 'aborted',
            message: `Aborted by ${actor}${
              canary.promotion
                ? ` while release #${canary.promotion.number} was promoting it`
                : ''
            }`,
            endedBy: actor,
            endedAt: new Date(),
          },
        );
        if (!aborted) {
          const now = await this.#canaries.get(canary.id);
          throw new ConflictError(
            `The canary of ${canary.image} is ${now?.status}, no longer running`,
          );
        }
        return Object.assign(this.#view(aborted), {
          summary: `Aborted the canary of ${canary.image} in ${environment}`,
        });
      },
    );
  }

  /**
   * Promotes the running canary: a release of its image, with the stable release's
   * variables and limits it ran with, through the release engine (so approvals and the
   * one-in-flight rule apply). The canary keeps running until that release succeeded.
   *
   * @throws ConflictError when a promotion is already under way
   */
  async promote(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2Canary> {
    const service = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'canary-promote',
      { service, environment, summary: `Promote the canary in ${environment}` },
      { permission: k2ReleaseCreatePermission, verb: 'promote the canary of' },
      async () => {
        this.#resolver.target(await this.#resolver.service(ref), environment);
        const canary = await this.#runningCanary(service, environment);
        if (canary.promotion) {
          throw new ConflictError(
            `The canary of ${canary.image} is already being promoted by release #${canary.promotion.number}; wait for it`,
          );
        }
        const { spec } = canary;
        const release = await this.#engine.release(
          ref,
          {
            environment,
            image: canary.image,
            resources: { ...spec.resources.limits },
            // Secret variables without a value keep the value stored for the service.
            env: spec.env.map(e =>
              e.secret
                ? { name: e.name, secret: true }
                : { name: e.name, value: e.value },
            ),
            message: `Promote the canary of ${canary.image} (started by ${canary.startedBy})`,
          },
          caller,
        );
        const promoting = await this.#canaries.transition(
          canary.id,
          { status: 'running', promotionReleaseId: null },
          {
            promotion: { releaseId: release.id, number: release.number },
            message:
              release.status === 'pending-approval'
                ? `Release #${release.number} waits for approval; the canary runs until it has rolled out`
                : `Release #${release.number} is rolling out; the canary runs until it completes`,
          },
        );
        if (!promoting) {
          throw new ConflictError(
            `The canary of ${canary.image} changed while release #${release.number} was made; see the release`,
          );
        }
        this.tick().catch(() => {});
        return Object.assign(this.#view(promoting), {
          releaseId: release.id,
          summary: `Promote the canary of ${canary.image} in ${environment}: release #${release.number}`,
        });
      },
    );
  }

  /** A release changed: when it ended, a canary it promotes may be done. */
  releaseChanged(release: { status: K2ReleaseStatus }): void {
    if (release.status === 'succeeded' || UNPROMOTED.includes(release.status)) {
      this.tick().catch(error =>
        this.#logger.warn(`Canary promotions: ${error}`),
      );
    }
  }

  /**
   * Finishes promotions whose release ended: succeeded, the canary Deployments are
   * removed and the canary recorded `promoted` (with the release's number); otherwise
   * the promotion is dropped and the canary runs on, saying why. Every change is a
   * compare-and-set, so backend replicas running this at once agree; concurrent calls
   * coalesce into one more pass.
   */
  tick(): Promise<void> {
    if (this.#pass) {
      this.#again = true;
      return this.#pass;
    }
    this.#pass = (async () => {
      try {
        do {
          this.#again = false;
          for (const canary of await this.#canaries.listPromoting()) {
            await this.#settlePromotion(canary).catch(error =>
              this.#logger.warn(
                `Canary ${canary.id} (${canary.service} in ${canary.environment}): ${error}`,
              ),
            );
          }
        } while (this.#again);
      } finally {
        this.#pass = undefined;
      }
    })();
    return this.#pass;
  }

  async #settlePromotion(canary: StoredCanary) {
    const promotion = canary.promotion!;
    const release = await this.#releases.get(promotion.releaseId);
    if (!release) return;
    const expected = {
      status: 'running' as const,
      promotionReleaseId: promotion.releaseId,
    };
    if (release.status === 'succeeded') {
      const left = await this.#remove(
        canary,
        canary.spec.clusters.map(c => c.name),
      );
      // Tried again on the next pass: it still runs where removing it failed.
      if (left.length) return;
      await this.#canaries.transition(canary.id, expected, {
        status: 'promoted',
        message: `Promoted: release #${release.number} rolled ${canary.image} out`,
        endedBy: release.approvedBy ?? release.createdBy,
        endedAt: new Date(),
      });
    } else if (UNPROMOTED.includes(release.status)) {
      await this.#canaries.transition(canary.id, expected, {
        promotion: null,
        message: `Release #${release.number} promoting it ended ${
          release.status
        }${
          release.reason ? ` (${release.reason})` : ''
        }; the canary still runs: promote it again or abort it`,
      });
    }
  }

  /** A stored canary as the API shows it, with its live pods while it runs. */
  #view(canary: StoredCanary): K2Canary {
    return {
      ...canary,
      spec: maskedSpec(canary.spec),
      clusters:
        canary.status === 'running'
          ? canary.spec.clusters.map(c => this.#pods(canary, c))
          : [],
    };
  }

  /** One cluster's canary pods, from its watch cache. */
  #pods(
    canary: StoredCanary,
    cluster: { name: string; replicas: number },
  ): K2CanaryClusterPods {
    const pods = this.#access
      .cache(cluster.name)
      .byService('pods', canary.spec.name)
      .filter(
        p =>
          p.metadata.namespace === canary.namespace &&
          p.metadata.labels?.[LABEL_ENVIRONMENT] === canary.environment &&
          p.metadata.labels?.[LABEL_TRACK] === TRACK_CANARY &&
          !p.metadata.deletionTimestamp,
      );
    return {
      cluster: cluster.name,
      replicas: cluster.replicas,
      ready: pods.filter(p =>
        p.status?.conditions?.some(
          (c: { type: string; status: string }) =>
            c.type === 'Ready' && c.status === 'True',
        ),
      ).length,
      total: pods.length,
    };
  }
}
