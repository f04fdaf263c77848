import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  K2Autoscaling,
  k2ReleaseApprovePermission,
  k2ReleaseCreatePermission,
  k2ReleaseReadPermission,
  K2ReleaseDefaults,
  K2ReleaseInput,
  K2ReleaseKind,
  K2ReleasePreview,
  K2ReleaseSpec,
  K2ReleaseStatus,
  K2ReplicaRecommendation,
  k2ServiceRestartPermission,
  k2ServiceScalePermission,
  LABEL_ENVIRONMENT,
  LABEL_SERVICE,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2EnvironmentRegistry,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import {
  NewRelease,
  ReleaseStore,
  ReleaseTemplate,
  StoredRelease,
} from '../database/ReleaseStore';
import { ReleaseImageCheck } from '../registries/ReleaseImageCheck';
import { assertWithinLimits } from './limits';
import { PodUsage, recommendReplicas } from './recommendReplicas';
import { ReleaseBindingResolver } from './ReleaseBindings';
import { ReleaseMountResolver } from './ReleaseMountResolver';
import { ReleaseSecrets, SecretWrite } from './ReleaseSecrets';
import {
  parseReleaseInput,
  releaseDefaults,
  resolveReleaseSpec,
  splitReplicas,
} from './resolveReleaseSpec';
import { maskedSpec, releaseView } from './releaseView';
import { specChanges } from './specChanges';

const describe = (r: StoredRelease) =>
  `release #${r.number} of ${r.service} to ${r.environment}`;

/**
 * The release engine's front door: every way to release (the Deploy tab, the REST API,
 * the scaffolder action) comes through here, with the same validation, permission
 * checks, one-in-flight rule, audit events and activity log. The rollout itself is
 * driven by {@link ReleaseDriver}.
 */
export class ReleaseEngine {
  readonly #store: ReleaseStore;
  readonly #resolver: K2ServiceResolver;
  readonly #environments: K2EnvironmentRegistry;
  readonly #gate: K2ActionGate;
  readonly #secrets: ReleaseSecrets;
  readonly #mounts: ReleaseMountResolver;
  readonly #bindings: ReleaseBindingResolver;
  readonly #images: ReleaseImageCheck;
  readonly #kick: () => void;

  constructor(options: {
    store: ReleaseStore;
    resolver: K2ServiceResolver;
    environments: K2EnvironmentRegistry;
    gate: K2ActionGate;
    secrets: ReleaseSecrets;
    mounts: ReleaseMountResolver;
    bindings: ReleaseBindingResolver;
    /** Looks each released image up in its registry. */
    images: ReleaseImageCheck;
    /** Asks the driver to act now rather than at its next tick. */
    kick: () => void;
  }) {
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#environments = options.environments;
    this.#gate = options.gate;
    this.#secrets = options.secrets;
    this.#mounts = options.mounts;
    this.#bindings = options.bindings;
    this.#images = options.images;
    this.#kick = options.kick;
  }

  /**
   * Every change to what runs (release, rollback, scale, restart, autoscaling) is
   * created here, so this is where a target K2 must not act on is refused: a workload
   * identity that is invalid (400) or claimed by another service (409).
   */
  async #create(release: NewRelease): Promise<StoredRelease> {
    this.#resolver.actionTarget(
      await this.#resolver.service(release.service),
      release.environment,
    );
    const result = await this.#store.create(release);
    if ('running' in result) {
      const r = result.running;
      if (r.status === 'pending-approval' && !release.holdTarget) {
        throw new ConflictError(
          `${r.service} already has release #${r.number} (by ${r.createdBy}) waiting for approval in ${r.environment}; have it approved or rejected, or withdraw it, first`,
        );
      }
      throw new ConflictError(
        `${r.service} already has release #${r.number} (${r.status}, by ${r.createdBy}) in flight in ${r.environment}; wait for it to finish`,
      );
    }
    this.#kick();
    return result.created;
  }

  #initialStatus(environment: string, kind: K2ReleaseKind) {
    const env = this.#environment(environment);
    return env?.approval.required && (kind === 'release' || kind === 'rollback')
      ? 'pending-approval'
      : 'applying';
  }

  /**
   * The spec a release request resolves to, as creating the release would store it:
   * every value the request leaves out from the service's annotations and the
   * environment's defaults, with the running release's replica count (unless the
   * request names one) and autoscaling; the volumes and config files resolved against
   * the clusters and the Config backend; the secret variables resolved against the
   * cluster, with the new values to write; the connection variables of the
   * middleware bound to the service from the Middleware store. Reads only.
   *
   * @throws InputError when the request cannot be released as asked
   * @throws ConflictError when the bound middleware's variables cannot be given
   * @throws ServiceUnavailableError when the Config backend or the Middleware store
   *   cannot be asked
   */
  async #resolve(ref: CompoundEntityRef, input: K2ReleaseInput) {
    const service = stringifyEntityRef(ref);
    const resolved = await this.#resolver.service(ref);
    const target = this.#resolver.target(resolved, input.environment);
    const current = await this.#store.getCurrent(service, input.environment);
    // Volumes and config files the request leaves out stay as the running release
    // mounts them.
    const mounts = await this.#mounts.resolve(
      input,
      resolved,
      target,
      current?.spec,
    );
    const spec = resolveReleaseSpec(input, resolved, target, mounts);
    // Scaling and autoscaling are separate actions: a release that does not ask
    // for a replica count keeps the current one, and autoscaling stays as it is.
    const kept = releaseDefaults(target, current);
    if (input.replicas === undefined && kept.replicas.source === 'release') {
      spec.replicas = kept.replicas.value;
      spec.clusters = splitReplicas(spec.replicas, spec.clusters);
    }
    if (kept.autoscaling) spec.autoscaling = kept.autoscaling;
    const { env, writes } = await this.#secrets.resolve(input.env, {
      spec,
      environment: input.environment,
    });
    spec.env = env;
    const bindings = await this.#bindings.resolve(
      {
        namespace: resolved.entity.metadata.namespace ?? 'default',
        name: resolved.entity.metadata.name,
      },
      target,
      spec.env,
    );
    if (bindings) spec.bindings = bindings;
    return { service, resolved, spec, current, writes };
  }

  /** Releases a service to an environment (the Deploy button, API and scaffolder). */
  async release(
    ref: CompoundEntityRef,
    request: K2ReleaseInput,
    caller: Caller,
  ): Promise<StoredRelease> {
    const service = stringifyEntityRef(ref);
    const input = parseReleaseInput(request);
    return this.#gate.audited(
      caller,
      'release-create',
      {
        service,
        environment: input.environment,
        summary: `Release ${input.image} to ${input.environment}`,
      },
      { permission: k2ReleaseCreatePermission, verb: 'release' },
      async () => {
        const { spec, writes } = await this.#resolve(ref, input);
        const image = await this.#images.check(spec.image);
        const status = this.#initialStatus(input.environment, 'release');
        // New secret values go to the cluster once the release holds its target,
        // before the driver may apply it: the release is created waiting (the driver
        // leaves it alone) but holding the target, and let go once the values are
        // written.
        let release = await this.#create({
          service,
          environment: input.environment,
          namespace: spec.namespace,
          kind: 'release',
          status: writes.length ? 'pending-approval' : status,
          holdTarget: writes.length > 0 && status !== 'pending-approval',
          spec,
          message: input.message,
          createdBy: actorOf(caller.credentials),
          replicasRequested: input.replicas !== undefined,
          imageDigest: image.digest,
        });
        if (writes.length) {
          release = await this.#storeSecrets(release, writes, status);
        }
        return Object.assign(release, {
          releaseId: release.id,
          summary: `Release #${release.number}: ${spec.image} to ${
            input.environment
          }${
            release.status === 'pending-approval'
              ? ' (waiting for approval)'
              : ''
          }`,
        });
      },
    );
  }

  /**
   * Writes a new release's secret values: staged until approval where releases wait
   * for one, else into the Secret the containers read, then lets the release go. A
   * release whose values cannot be written fails, with the (masked) reason.
   */
  async #storeSecrets(
    release: StoredRelease,
    writes: SecretWrite[],
    status: K2ReleaseStatus,
  ): Promise<StoredRelease> {
    const target = { spec: release.spec, environment: release.environment };
    try {
      if (status === 'pending-approval') {
        await this.#secrets.stage(target, writes);
        return release;
      }
      await this.#secrets.write(target, writes);
    } catch (error) {
      await this.#store.transition(release.id, 'pending-approval', {
        status: 'failed',
        reason: (error as Error).message,
        finishedAt: new Date(),
      });
      throw error;
    }
    const started = await this.#store.transition(
      release.id,
      'pending-approval',
      { status },
    );
    this.#kick();
    return started ?? (await this.#store.get(release.id)) ?? release;
  }

  /**
   * What a release request would release, without releasing it: validated as creating
   * the release is (the same 400s, and 400/409 for a target K2 does not act on), with
   * the same permission, so nobody can learn through it what they could not release.
   * The spec is resolved by the same code as a release's, compared with the running
   * release, and returned with every secret value masked; a secret given a new value
   * shows version `new`. Nothing is written to the database or a cluster, and nothing
   * is audited: it changes nothing.
   */
  async preview(
    ref: CompoundEntityRef,
    request: K2ReleaseInput,
    caller: Caller,
  ): Promise<K2ReleasePreview> {
    const service = stringifyEntityRef(ref);
    const input = parseReleaseInput(request);
    await this.#gate.authorize(service, caller, {
      permission: k2ReleaseCreatePermission,
      verb: 'release',
    });
    const { resolved, spec, current, writes } = await this.#resolve(ref, input);
    this.#resolver.actionTarget(resolved, input.environment);
    const imageCheck = await this.#images.check(spec.image);
    const replaced = new Set(writes.map(w => w.name));
    const proposed = maskedSpec({
      ...spec,
      env: spec.env.map(e =>
        e.secret && replaced.has(e.name) ? { ...e, version: 'new' } : e,
      ),
    });
    const running = current && releaseView(current);
    const {
      items: [newest],
    } = await this.#store.history({
      service,
      environment: input.environment,
      limit: 1,
    });
    return {
      environment: input.environment,
      number: (newest?.number ?? 0) + 1,
      current: running,
      spec: proposed,
      changes: specChanges(running?.spec, proposed),
      approval:
        this.#initialStatus(input.environment, 'release') ===
        'pending-approval',
      imageCheck,
    };
  }

  /**
   * What a release to `environment` gets for each value its request leaves out, and
   * where it comes from ({@link releaseDefaults}, as {@link ReleaseEngine.release}
   * resolves it). Anyone who may read the service's releases may read these.
   */
  async releaseDefaults(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<K2ReleaseDefaults> {
    const service = stringifyEntityRef(ref);
    await this.authorizeRead(service, caller);
    const resolved = await this.#resolver.service(ref);
    const target = this.#resolver.target(resolved, environment);
    const current = await this.#store.getCurrent(service, environment);
    return {
      environment,
      current: current && {
        id: current.id,
        number: current.number,
        image: current.spec.image,
      },
      imageRepository: resolved.spec.image,
      ...releaseDefaults(target, current),
    };
  }

  /** Rolls back: a new release of an earlier release's spec. */
  async rollback(
    releaseId: string,
    input: { message?: string },
    caller: Caller,
  ): Promise<StoredRelease> {
    const old = await this.#store.get(releaseId);
    if (!old) throw new NotFoundError(`No release ${releaseId}`);
    const message = input.message?.trim() || undefined;
    return this.#gate.audited(
      caller,
      'release-rollback',
      {
        service: old.service,
        environment: old.environment,
        summary: `Roll back to release #${old.number} (${old.spec.image})`,
      },
      { permission: k2ReleaseCreatePermission, verb: 'roll back' },
      async () => {
        // Only a spec that once ran to the end is known to work.
        if (old.status !== 'succeeded') {
          throw new ConflictError(
            `Cannot roll back to release #${old.number}: it is ${old.status}; only a release that succeeded can be rolled back to`,
          );
        }
        // What the old spec mounts must still be there in every cluster: pods of a
        // spec whose volume or config object is gone could never start.
        // So must the Secrets of the middleware bound when it ran.
        const resolved = await this.#resolver.service(old.service);
        const target = this.#resolver.target(resolved, old.environment);
        try {
          await this.#mounts.resolve({}, resolved, target, old.spec);
          await this.#bindings.check(old.spec.bindings, target);
        } catch (error) {
          if (error instanceof InputError) {
            throw new InputError(
              `Cannot roll back to release #${old.number}: ${error.message}`,
            );
          }
          if (error instanceof ConflictError) {
            throw new ConflictError(
              `Cannot roll back to release #${old.number}: ${error.message}`,
            );
          }
          throw error;
        }
        // The tag may have been deleted since (or never pushed, before images were
        // looked up): such a rollback could not pull its image.
        const image = await this.#images.check(old.spec.image);
        const release = await this.#create({
          service: old.service,
          environment: old.environment,
          namespace: old.namespace,
          kind: 'rollback',
          status: this.#initialStatus(old.environment, 'rollback'),
          spec: old.spec,
          rollbackOf: old.id,
          message: message ?? `Roll back to release #${old.number}`,
          createdBy: actorOf(caller.credentials),
          // A rollback restores the old spec, replica count included.
          replicasRequested: true,
          imageDigest: image.digest,
        });
        return Object.assign(release, {
          releaseId: release.id,
          summary: `Release #${release.number}: rollback to #${old.number} (${old.spec.image})`,
        });
      },
    );
  }

  /** Approves or rejects a release waiting for approval. */
  async decide(
    releaseId: string,
    decision: 'approve' | 'reject',
    input: { reason?: string },
    caller: Caller,
  ): Promise<StoredRelease> {
    const release = await this.#store.get(releaseId);
    if (!release) throw new NotFoundError(`No release ${releaseId}`);
    const reason = input.reason?.trim() || undefined;
    return this.#gate.audited(
      caller,
      `release-${decision}`,
      {
        service: release.service,
        environment: release.environment,
        summary: `${decision === 'approve' ? 'Approve' : 'Reject'} ${describe(
          release,
        )}`,
      },
      {
        permission: k2ReleaseApprovePermission,
        verb: 'approve releases of',
        resourceRef: release.id,
        refusal: `Releases to ${
          release.environment
        } are approved by members of ${
          this.#environment(release.environment)?.approval.approverGroup ??
          'the approver group'
        }`,
      },
      async () => {
        if (decision === 'approve') {
          // Approving applies: refused as creating it would be today, and while a
          // middleware Secret it reads is gone (unbound while it waited).
          const resolved = await this.#resolver.service(release.service);
          this.#resolver.actionTarget(resolved, release.environment);
          await this.#bindings.check(
            release.spec.bindings,
            this.#resolver.target(resolved, release.environment),
          );
        }
        // The image may have gone from the registry while the release waited.
        const image =
          decision === 'approve'
            ? await this.#images.check(release.spec.image)
            : undefined;
        const actor = actorOf(caller.credentials);
        const secretTarget = {
          spec: release.spec,
          environment: release.environment,
        };
        let spec: K2ReleaseSpec | undefined;
        if (decision === 'approve' && release.status === 'pending-approval') {
          // A waiting release does not occupy its target; going ahead needs it.
          await this.#assertTargetFree(release);
          spec = await this.#onTopOfCurrent(release);
          // Staged secret values become the ones containers read before the release
          // may be applied (only a rejection or a release in flight racing this
          // approval could leave them promoted for a release that does not go ahead).
          await this.#secrets.promote(secretTarget, release.spec.env);
        }
        const updated = await this.#store.transition(
          release.id,
          'pending-approval',
          decision === 'approve'
            ? {
                status: 'applying',
                approvedBy: actor,
                startedAt: new Date(),
                spec,
                imageDigest: image?.digest ?? null,
              }
            : {
                status: 'rejected',
                approvedBy: actor,
                reason: reason ?? `Rejected by ${actor}`,
                finishedAt: new Date(),
              },
        );
        if (!updated) {
          const now = await this.#store.get(release.id);
          if (now?.status === 'pending-approval') {
            // Still waiting: another release took the target meanwhile.
            await this.#assertTargetFree(release);
          }
          throw new ConflictError(
            `${describe(release)} is ${now?.status}, not waiting for approval`,
          );
        }
        if (decision === 'reject' && release.spec.env.some(e => e.secret)) {
          await this.#secrets.discard(secretTarget);
        }
        this.#kick();
        return Object.assign(updated, { releaseId: updated.id });
      },
    );
  }

  /**
   * Withdraws a release waiting for approval: its requester or the service's owners
   * (`k2.release.create` on the service; the requester held it when asking).
   */
  async cancel(
    releaseId: string,
    input: { reason?: string },
    caller: Caller,
  ): Promise<StoredRelease> {
    const release = await this.#store.get(releaseId);
    if (!release) throw new NotFoundError(`No release ${releaseId}`);
    const reason = input.reason?.trim() || undefined;
    return this.#gate.audited(
      caller,
      'release-cancel',
      {
        service: release.service,
        environment: release.environment,
        summary: `Withdraw ${describe(release)}`,
      },
      { permission: k2ReleaseCreatePermission, verb: 'withdraw releases of' },
      async () => {
        const actor = actorOf(caller.credentials);
        // A release holding its target while its secret values are written is on its
        // way out, not waiting for an approver.
        const holding = await this.#store.getActive(
          release.service,
          release.environment,
        );
        if (holding?.id === release.id) {
          throw new ConflictError(
            `${describe(release)} is being applied, not waiting for approval`,
          );
        }
        const updated = await this.#store.transition(
          release.id,
          'pending-approval',
          {
            status: 'cancelled',
            reason: reason ?? `Withdrawn by ${actor}`,
            finishedAt: new Date(),
          },
        );
        if (!updated) {
          const now = await this.#store.get(release.id);
          throw new ConflictError(
            `${describe(release)} is ${
              now?.status
            }, not waiting for approval; only a waiting release can be withdrawn`,
          );
        }
        if (release.spec.env.some(e => e.secret)) {
          await this.#secrets.discard({
            spec: release.spec,
            environment: release.environment,
          });
        }
        return Object.assign(updated, { releaseId: updated.id });
      },
    );
  }

  /** @throws ConflictError naming the release that occupies the target */
  async #assertTargetFree(release: StoredRelease) {
    const running = await this.#store.getActive(
      release.service,
      release.environment,
    );
    if (running && running.id !== release.id) {
      throw new ConflictError(
        `${release.service} has release #${running.number} (${
          running.status
        }, by ${running.createdBy}) in flight in ${
          release.environment
        }; approve ${describe(release)} once it has finished`,
      );
    }
  }

  /**
   * A waiting release goes ahead on top of what runs when it is approved: unless it
   * named a replica count (or is a rollback), it takes the current count and
   * autoscaling, which a scale may have changed while it waited.
   */
  async #onTopOfCurrent(
    release: StoredRelease,
  ): Promise<K2ReleaseSpec | undefined> {
    if (release.replicasRequested !== false) return undefined;
    const current = await this.#store.getCurrent(
      release.service,
      release.environment,
    );
    if (!current) return undefined;
    const spec: K2ReleaseSpec = {
      ...release.spec,
      replicas: current.spec.replicas,
      clusters: splitReplicas(current.spec.replicas, release.spec.clusters),
      autoscaling: current.spec.autoscaling,
    };
    return spec;
  }

  #environment(name: string) {
    return this.#environments.model.environments.find(e => e.name === name);
  }

  async #current(service: string, environment: string) {
    const current = await this.#store.getCurrent(service, environment);
    if (!current) {
      throw new ConflictError(
        `${service} has no successful release in ${environment} yet; release it first`,
      );
    }
    return current;
  }

  /** Sets the replica count: a release of the current spec that keeps its pods. */
  async scale(
    ref: CompoundEntityRef,
    environment: string,
    input: { replicas: number },
    caller: Caller,
  ): Promise<StoredRelease> {
    const service = stringifyEntityRef(ref);
    const { replicas } = input;
    return this.#gate.audited(
      caller,
      'scale',
      { service, environment, summary: `Scale ${environment} to ${replicas}` },
      { permission: k2ServiceScalePermission, verb: 'scale' },
      async () => {
        const resolved = await this.#resolver.service(ref);
        const target = this.#resolver.target(resolved, environment);
        assertWithinLimits(target.environment, {
          replicas: { count: replicas, field: 'replicas' },
        });
        const current = await this.#current(service, environment);
        if (current.spec.autoscaling) {
          throw new ConflictError(
            `Autoscaling sets the replicas of ${service} in ${environment}; change its bounds or turn it off first`,
          );
        }
        // New pods read the bound middleware's Secrets; fewer pods need nothing.
        if (replicas > current.spec.replicas) {
          await this.#bindings.check(current.spec.bindings, target);
        }
        const spec: K2ReleaseSpec = {
          ...current.spec,
          replicas,
          clusters: splitReplicas(replicas, target.clusters),
        };
        const release = await this.#create({
          service,
          environment,
          namespace: current.namespace,
          kind: 'scale',
          status: 'applying',
          spec,
          template: current.template,
          message: `Scale from ${current.spec.replicas} to ${replicas}`,
          createdBy: actorOf(caller.credentials),
          imageDigest: current.imageDigest,
        });
        return Object.assign(release, { releaseId: release.id });
      },
    );
  }

  /** Rolling restart: new pods from the same spec, one by one as in a release. */
  async restart(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<StoredRelease> {
    const service = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'restart',
      { service, environment, summary: `Restart ${environment}` },
      { permission: k2ServiceRestartPermission, verb: 'restart' },
      async () => {
        const resolved = await this.#resolver.service(ref);
        const current = await this.#current(service, environment);
        // Every pod is replaced by one reading the bound middleware's Secrets.
        await this.#bindings.check(
          current.spec.bindings,
          this.#resolver.target(resolved, environment),
        );
        const template: ReleaseTemplate = {
          ...current.template,
          restartedAt: new Date().toISOString(),
        };
        const release = await this.#create({
          service,
          environment,
          namespace: current.namespace,
          kind: 'restart',
          status: 'applying',
          spec: current.spec,
          template,
          message: 'Rolling restart',
          createdBy: actorOf(caller.credentials),
          imageDigest: current.imageDigest,
        });
        return Object.assign(release, { releaseId: release.id });
      },
    );
  }

  /**
   * Turns the native HPA on (with bounds and targets) or off, through a release of the
   * current spec so the change rolls out and is tracked like any other.
   */
  async setAutoscaling(
    ref: CompoundEntityRef,
    environment: string,
    settings: K2Autoscaling | null,
    caller: Caller,
  ): Promise<StoredRelease> {
    const service = stringifyEntityRef(ref);
    const autoscaling =
      settings === null ? undefined : checkAutoscaling(settings);
    return this.#gate.audited(
      caller,
      'autoscaling-update',
      {
        service,
        environment,
        summary: autoscaling
          ? `Autoscale ${environment} between ${autoscaling.minReplicas} and ${autoscaling.maxReplicas}`
          : `Turn off autoscaling in ${environment}`,
      },
      { permission: k2ServiceScalePermission, verb: 'scale' },
      async () => {
        const resolved = await this.#resolver.service(ref);
        if (autoscaling) {
          assertWithinLimits(
            this.#resolver.target(resolved, environment).environment,
            {
              replicas: {
                count: autoscaling.maxReplicas,
                field: 'maxReplicas',
              },
            },
          );
        }
        const current = await this.#current(service, environment);
        const release = await this.#create({
          service,
          environment,
          namespace: current.namespace,
          kind: 'scale',
          status: 'applying',
          spec: { ...current.spec, autoscaling },
          template: current.template,
          message: autoscaling
            ? `Autoscaling ${autoscaling.minReplicas}–${autoscaling.maxReplicas}`
            : 'Autoscaling off',
          createdBy: actorOf(caller.credentials),
          imageDigest: current.imageDigest,
        });
        return Object.assign(release, { releaseId: release.id });
      },
    );
  }

  /**
   * The replica count today's load needs (sum of usage ÷ target per pod), from the
   * clusters' metrics API. An explicit, occasional read: never part of a page view.
   */
  async recommendReplicas(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
    readPodMetrics: (
      cluster: string,
      namespace: string,
      selector: string,
    ) => Promise<PodUsage[]>,
  ): Promise<K2ReplicaRecommendation> {
    const service = stringifyEntityRef(ref);
    await this.authorizeRead(service, caller);
    const current = await this.#current(service, environment);
    const { spec } = current;
    const selector = `${LABEL_SERVICE}=${spec.name},${LABEL_ENVIRONMENT}=${environment}`;
    const pods = (
      await Promise.all(
        spec.clusters.map(c =>
          readPodMetrics(c.name, spec.namespace, selector),
        ),
      )
    ).flat();
    return recommendReplicas(spec, pods);
  }

  /**
   * Looks an image up in its registry as a release of it would (for a canary).
   *
   * @throws InputError when it is not there, ServiceUnavailableError when the
   *   registry cannot be asked
   */
  checkImage(image: string) {
    return this.#images.check(image);
  }

  /** Reading: history, one release, the activity log. */
  async authorizeRead(service: string, caller: Caller) {
    await this.#gate.authorize(service, caller, {
      permission: k2ReleaseReadPermission,
      verb: 'read',
    });
  }
}

/**
 * What the contract cannot say about autoscaling (it checks the fields and bounds):
 * the bounds in order, and at least one target.
 *
 * @throws InputError naming the field
 */
export function checkAutoscaling(settings: K2Autoscaling): K2Autoscaling {
  const { minReplicas, maxReplicas, cpuUtilization, memoryUtilization } =
    settings;
  if (maxReplicas < minReplicas) {
    throw new InputError("'maxReplicas' must not be below 'minReplicas'");
  }
  if (cpuUtilization === undefined && memoryUtilization === undefined) {
    throw new InputError(
      "Give a target: 'cpuUtilization' and/or 'memoryUtilization' (percent of requests)",
    );
  }
  return { minReplicas, maxReplicas, cpuUtilization, memoryUtilization };
}
