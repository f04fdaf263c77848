import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ANNOTATION_ENTITY_REF,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_NAMESPACE,
  K2ServiceSpec,
  K2ServiceTarget,
  LABEL_SERVICE,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { K2ServiceIndex } from '../catalog';
import { K2ClusterAccess, KubeObject, WatchedResourceName } from '../clusters';
import { K2EnvironmentRegistry } from '../environments';

/** A catalog service with its K2 settings resolved against the environment model. */
export interface K2ResolvedService {
  /** The entity ref, e.g. `component:default/payment-gateway`. */
  ref: string;
  entity: Entity;
  spec: K2ServiceSpec;
}

/** One live instance (pod) of a service, found in the watch caches. */
export interface K2ResolvedInstance extends K2ResolvedService {
  target: K2ServiceTarget;
  cluster: string;
  pod: KubeObject;
}

/** Where a request points: an environment, one of its clusters and a pod name. */
export interface K2InstanceAddress {
  environment: string;
  cluster: string;
  pod: string;
}

/**
 * Who holds a workload identity that is not the asking service's: the holder, and
 * whether the clusters say so (its ref stamped on the workload) or entity ref order
 * does. `pending` while a cluster that could hold the stamp has not been listed yet.
 */
type Claim = { holder: string; stamped: boolean } | 'pending';

/** The kinds whose objects carry {@link ANNOTATION_ENTITY_REF}. */
const STAMPED: WatchedResourceName[] = ['deployments', 'services'];

const sameRef = (a: string, b: string) =>
  a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US');

/**
 * The one way from a catalog entity to what runs: entity → K2 settings → the targets of
 * its environments → their clusters → the service's objects and pods in the watch
 * caches. Every K2 capability resolves services here, so they all agree on what belongs
 * to a service. Nothing here calls an API server.
 */
export class K2ServiceResolver {
  readonly #services: K2ServiceIndex;
  readonly #environments: K2EnvironmentRegistry;
  readonly #access: K2ClusterAccess;

  constructor(options: {
    services: K2ServiceIndex;
    environments: K2EnvironmentRegistry;
    access: K2ClusterAccess;
  }) {
    this.#services = options.services;
    this.#environments = options.environments;
    this.#access = options.access;
  }

  /** @throws NotFoundError when the catalog has no such entity */
  async service(ref: CompoundEntityRef | string): Promise<K2ResolvedService> {
    const compound =
      typeof ref === 'string'
        ? parseEntityRef(ref, { defaultKind: 'component' })
        : ref;
    const entityRef = stringifyEntityRef(compound);
    const entity = await this.#services.get(compound);
    if (!entity) throw new NotFoundError(`No such service ${entityRef}`);
    const spec = readServiceSpec(entity, this.#environments.model);
    for (const target of spec.targets) {
      const claim = this.#claim(entityRef, spec, target);
      // Until the clusters are listed, the card shows no guess.
      if (claim && claim !== 'pending') {
        spec.problems.push(claimProblem(spec, target, claim));
      }
    }
    return { ref: entityRef, entity, spec };
  }

  /**
   * Who holds the target's workload identity (environment, namespace, kubernetes-id)
   * when it is not `ref`. Of the services claiming it ({@link K2ServiceIndex.claimants}),
   * the one whose ref K2 stamped on the identity's Deployment or Service in any of the
   * environment's clusters keeps it, so an established service is never displaced by a
   * newcomer; where no claimant is stamped (nothing released yet, or objects from before
   * the stamp), the first by entity ref holds it.
   */
  #claim(
    ref: string,
    spec: K2ServiceSpec,
    target: K2ServiceTarget,
  ): Claim | undefined {
    if (target.identityProblem) return undefined;
    const claimants = this.#services.claimants(
      this.#environments.model,
      target.environment.name,
      target.namespace,
      spec.kubernetesId,
    );
    if (claimants.length === 0) return undefined;
    let claim: Claim;
    if (claimants.length === 1) {
      claim = { holder: claimants[0], stamped: false };
    } else {
      const stamped = this.#stampedClaimant(spec, target, claimants);
      if (stamped === 'pending') return 'pending';
      claim = stamped
        ? { holder: stamped, stamped: true }
        : { holder: claimants[0], stamped: false };
    }
    return sameRef(claim.holder, ref) ? undefined : claim;
  }

  /**
   * The claimant stamped on the identity's objects in the target's clusters; `pending`
   * when none is found yet and a cluster's cache has not listed it.
   */
  #stampedClaimant(
    spec: K2ServiceSpec,
    target: K2ServiceTarget,
    claimants: string[],
  ): string | 'pending' | undefined {
    let pending = false;
    for (const { name } of target.clusters) {
      const cache = this.#access.cache(name);
      if (!cache.health().syncedAt) pending = true;
      for (const resource of STAMPED) {
        for (const object of cache.byService(resource, spec.kubernetesId)) {
          if (object.metadata.namespace !== target.namespace) continue;
          const stamp = object.metadata.annotations?.[ANNOTATION_ENTITY_REF];
          const claimant = stamp && claimants.find(c => sameRef(c, stamp));
          if (claimant) return claimant;
        }
      }
    }
    return pending ? 'pending' : undefined;
  }

  /**
   * A target K2 may act on (release, scale, restart, act on instances): reads go
   * through {@link K2ServiceResolver.target}, so a service with an identity problem
   * still shows what runs.
   *
   * @throws InputError when the service does not run in `environment`, or its
   * `backstage.io/kubernetes-id` or namespace is not valid there (naming the annotation)
   * @throws ConflictError when another service holds the same namespace and
   * kubernetes-id in the environment (naming that service)
   * @throws ServiceUnavailableError when several services claim them and a cluster
   * that may say which one holds them has not been listed yet
   */
  actionTarget(
    service: K2ResolvedService,
    environment: string,
  ): K2ServiceTarget {
    const target = this.target(service, environment);
    if (target.identityProblem) throw new InputError(target.identityProblem);
    const claim = this.#claim(service.ref, service.spec, target);
    if (claim === 'pending') {
      throw new ServiceUnavailableError(
        `Several services claim ${ANNOTATION_NAMESPACE} '${target.namespace}' with ${ANNOTATION_KUBERNETES_ID} '${service.spec.kubernetesId}' in environment '${target.environment.name}', and the clusters that say which one holds it are not listed yet; try again in a moment`,
      );
    }
    if (claim) {
      throw new ConflictError(claimProblem(service.spec, target, claim));
    }
    return target;
  }

  /** @throws InputError when the service does not run in `environment` */
  target(service: K2ResolvedService, environment: string): K2ServiceTarget {
    const target = service.spec.targets.find(
      t => t.environment.name === environment,
    );
    if (!target) {
      const known = service.spec.targets.map(t => t.environment.name);
      throw new InputError(
        `${
          service.entity.metadata.name
        } does not run in '${environment}'; its environments: ${
          known.join(', ') || 'none (set k2.io/environments)'
        }`,
      );
    }
    return target;
  }

  /** One environment's target, or all of them when `environment` is undefined. */
  targets(
    service: K2ResolvedService,
    environment: string | undefined,
  ): K2ServiceTarget[] {
    return environment
      ? [this.target(service, environment)]
      : service.spec.targets;
  }

  /** The service's objects of one type in a target's namespace of one cluster. */
  objects(
    service: K2ResolvedService,
    target: K2ServiceTarget,
    cluster: string,
    resource: WatchedResourceName,
  ): KubeObject[] {
    return this.#access
      .cache(cluster)
      .byService(resource, service.spec.kubernetesId)
      .filter(o => o.metadata.namespace === target.namespace);
  }

  /**
   * A live instance of the service: a pod K2 manages for it (labelled `k2.io/service`).
   * Pods that carry only `backstage.io/kubernetes-id` are shown with the service (see
   * {@link K2ServiceResolver.objects}) but K2 does not act on them.
   *
   * @throws InputError when the service does not run in the environment
   * @throws NotFoundError when the cluster is not one of the environment's for this
   * service, or the pod is not the service's
   */
  async instance(
    ref: CompoundEntityRef | string,
    address: K2InstanceAddress,
  ): Promise<K2ResolvedInstance> {
    const service = await this.service(ref);
    const target = this.target(service, address.environment);
    if (!target.clusters.some(c => c.name === address.cluster)) {
      throw new NotFoundError(
        `${service.ref} does not run in cluster '${address.cluster}' of '${address.environment}'`,
      );
    }
    const pod = this.#access
      .cache(address.cluster)
      .store('pods')
      .get(target.namespace, address.pod);
    if (
      !pod ||
      pod.metadata.labels?.[LABEL_SERVICE] !== service.spec.kubernetesId
    ) {
      throw new NotFoundError(
        `No instance '${address.pod}' of ${service.ref} in cluster '${address.cluster}'`,
      );
    }
    return { ...service, target, cluster: address.cluster, pod };
  }

  /**
   * {@link K2ServiceResolver.instance} for an action on it: also refused as
   * {@link K2ServiceResolver.actionTarget} refuses.
   */
  async actionInstance(
    ref: CompoundEntityRef | string,
    address: K2InstanceAddress,
  ): Promise<K2ResolvedInstance> {
    const instance = await this.instance(ref, address);
    this.actionTarget(instance, address.environment);
    return instance;
  }
}

function claimProblem(
  spec: K2ServiceSpec,
  target: K2ServiceTarget,
  claim: { holder: string; stamped: boolean },
) {
  const why = claim.stamped
    ? `it runs there: ${ANNOTATION_ENTITY_REF} on its workload`
    : 'the first by entity ref';
  return `${ANNOTATION_NAMESPACE} '${target.namespace}' with ${ANNOTATION_KUBERNETES_ID} '${spec.kubernetesId}' in environment '${target.environment.name}' is claimed by ${claim.holder} (${why}); K2 does not act on this service there`;
}
