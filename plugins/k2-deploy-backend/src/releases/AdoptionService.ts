import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  ForwardedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ANNOTATION_ENTITY_REF,
  K2PlainEnvVar,
  k2ReleaseCreatePermission,
  K2ReleaseSpec,
  LABEL_TRAFFIC,
} from '@internal/plugin-k2-common';
import {
  actorOf,
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2ServiceResolver,
  KubeObject,
} from '@internal/plugin-k2-node';
import { ReleaseStore, StoredRelease } from '../database/ReleaseStore';
import { adoptionConflict } from './ownership';
import { k2Labels, selectorLabels } from './renderManifests';
import { PLATFORM_ENV_VARS, resolveReleaseSpec } from './resolveReleaseSpec';

type LiveContainer = {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string; valueFrom?: object }>;
  envFrom?: object[];
  resources?: {
    limits?: { cpu?: string; memory?: string };
    requests?: { cpu?: string; memory?: string };
  };
};

/** The Deployment of the service in one cluster, as the watch cache holds it. */
interface LiveDeployment {
  cluster: string;
  weight: number;
  replicas: number;
  container: LiveContainer;
  deployment: KubeObject;
}

/** What adoption takes over in one cluster. */
interface Takeover {
  cluster: string;
  /** The Deployment, and the Service of the same name when one runs. */
  owned: KubeObject[];
  /** The Deployment's pods. */
  pods: KubeObject[];
}

/**
 * Adoption: a service that already runs in an environment, released by other means
 * than K2, gets its release #1 recorded from what runs, so its page shows a history,
 * a running release to compare with and roll back to.
 *
 * Adoption takes ownership, so that K2's next release may apply over what runs: in
 * every cluster it stamps K2's labels and `k2.io/entity-ref` on the Deployment (and on
 * the Service of the same name, if one runs) by server-side apply under K2's field
 * manager, and gives the Deployment's pods the labels K2's Service selects.
 *
 * Invariants: only the environment's first release can be an adoption (409
 * otherwise); nothing is written unless every object to take over carries no mark of
 * another service, environment or tool (409 naming it); release #1 is recorded only
 * after every cluster accepted the stamps, so a failure halfway records nothing and
 * adopting again finishes the job (stamping is idempotent). The pod template is not
 * touched: adopting rolls no pod. A variable the Deployment reads from a Secret (or
 * any other `valueFrom`/`envFrom` source) is named in the release's message and never
 * read, so no secret value reaches the database, the audit log or a response.
 */
export class AdoptionService {
  readonly #store: ReleaseStore;
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;

  constructor(options: {
    store: ReleaseStore;
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
  }) {
    this.#store = options.store;
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
  }

  /**
   * Records the Deployment running in `environment` as a succeeded release #1, with the
   * caller as its author (permission `k2.release.create`, audited, in the activity log).
   *
   * @throws NotAllowedError when the policy refuses the caller (another team)
   * @throws ConflictError when the environment already has a release, the clusters run
   *   different images, another service claims the workload identity, or an object to
   *   take over is marked as another service's, environment's or tool's
   * @throws ForwardedError (with the cluster's error) when a cluster refused a stamp:
   *   nothing is recorded, and adopting again finishes
   * @throws NotFoundError when no cluster of the environment runs the Deployment
   * @throws InputError when what runs cannot be a K2 release (an image without a tag)
   */
  async adopt(
    ref: CompoundEntityRef,
    environment: string,
    caller: Caller,
  ): Promise<StoredRelease> {
    const service = stringifyEntityRef(ref);
    return this.#gate.audited(
      caller,
      'release-adopt',
      {
        service,
        environment,
        summary: `Adopt what runs in ${environment}`,
      },
      {
        permission: k2ReleaseCreatePermission,
        verb: 'adopt the running workload of',
      },
      async () => {
        const resolved = await this.#resolver.service(ref);
        const target = this.#resolver.actionTarget(resolved, environment);
        const existing = await this.#store.history({
          service,
          environment,
          limit: 1,
        });
        if (existing.total > 0) {
          throw new ConflictError(
            `${service} already has ${existing.total} release(s) in ${environment} (newest #${existing.items[0].number}); only an environment K2 never released to can adopt what runs`,
          );
        }
        const live = this.#liveDeployments(
          resolved.spec.kubernetesId,
          target.namespace,
          target.clusters,
        );
        if (live.length === 0) {
          throw new NotFoundError(
            `No Deployment ${target.namespace}/${
              resolved.spec.kubernetesId
            } runs in ${environment} (clusters ${target.clusters
              .map(c => c.name)
              .join(', ')}); nothing to adopt`,
          );
        }
        const images = [...new Set(live.map(d => d.container.image))];
        if (images.length > 1) {
          throw new ConflictError(
            `The clusters of ${environment} run different images (${live
              .map(d => `${d.cluster}: ${d.container.image}`)
              .join(', ')}); release one image to all of them instead`,
          );
        }

        const takeovers = live.map(d =>
          this.#takeover(d, target.namespace, {
            ref: service,
            kubernetesId: resolved.spec.kubernetesId,
            environment,
          }),
        );

        const { spec, notRecorded } = adoptedSpec(
          resolveReleaseSpec(
            { environment, image: images[0] },
            resolved,
            target,
          ),
          target.clusters,
          live,
        );
        const message = `Adopted: recorded from the running Deployment ${
          target.namespace
        }/${spec.name}${
          notRecorded.length
            ? `; not recorded (read from Secrets or other sources): ${notRecorded.join(
                ', ',
              )}`
            : ''
        }`;
        await this.#takeOwnership(takeovers, service, spec, environment);
        const result = await this.#store.create({
          service,
          environment,
          namespace: target.namespace,
          kind: 'release',
          status: 'succeeded',
          spec,
          message,
          createdBy: actorOf(caller.credentials),
          replicasRequested: true,
        });
        if ('running' in result) {
          // Unreachable for a finished release, which never occupies its target.
          throw new ConflictError(
            `${service} has release #${result.running.number} in flight in ${environment}`,
          );
        }
        const now = new Date();
        const release =
          (await this.#store.transition(result.created.id, 'succeeded', {
            startedAt: now,
            finishedAt: now,
            progress: live.map(d => ({
              cluster: d.cluster,
              replicas: d.replicas,
              updated: d.replicas,
              ready: d.replicas,
              available: d.replicas,
              old: 0,
              done: true,
            })),
          })) ?? result.created;
        return Object.assign(release, {
          releaseId: release.id,
          summary: `Release #${release.number}: adopted ${spec.image} × ${spec.replicas} in ${environment}`,
        });
      },
    );
  }

  #liveDeployments(
    kubernetesId: string,
    namespace: string,
    clusters: Array<{ name: string; weight: number }>,
  ): LiveDeployment[] {
    return clusters.flatMap(cluster => {
      const cache = this.#access.cache(cluster.name);
      if (!cache.health().syncedAt) {
        throw new ServiceUnavailableError(
          `Cannot tell what runs in cluster '${cluster.name}' yet: its watch cache has not listed the cluster; try again shortly`,
        );
      }
      const deployment: KubeObject | undefined = cache
        .store('deployments')
        .get(namespace, kubernetesId);
      if (!deployment) return [];
      const containers: LiveContainer[] =
        deployment.spec?.template?.spec?.containers ?? [];
      const container =
        containers.find(c => c.name === kubernetesId) ?? containers[0];
      if (!container) return [];
      return [
        {
          cluster: cluster.name,
          weight: cluster.weight,
          replicas: deployment.spec?.replicas ?? 1,
          container,
          deployment,
        },
      ];
    });
  }

  /**
   * What adoption takes over in a cluster, as the watch cache holds it.
   *
   * @throws ConflictError when the Deployment or the Service is marked as not the
   * service's to take
   */
  #takeover(
    live: LiveDeployment,
    namespace: string,
    owner: { ref: string; kubernetesId: string; environment: string },
  ): Takeover {
    const cache = this.#access.cache(live.cluster);
    const service = cache.store('services').get(namespace, owner.kubernetesId);
    const owned = service ? [live.deployment, service] : [live.deployment];
    for (const object of owned) {
      const conflict = adoptionConflict(object, owner);
      if (conflict) {
        throw new ConflictError(
          `K2 does not take over ${object.kind} ${namespace}/${object.metadata.name} in cluster '${live.cluster}': ${conflict}`,
        );
      }
    }
    const selector: Record<string, string> =
      live.deployment.spec?.selector?.matchLabels ?? {};
    const pods = cache
      .store('pods')
      .list()
      .filter(
        pod =>
          pod.metadata.namespace === namespace &&
          !pod.metadata.deletionTimestamp &&
          Object.entries(selector).every(
            ([key, value]) => pod.metadata.labels?.[key] === value,
          ),
      );
    return { cluster: live.cluster, owned, pods };
  }

  /**
   * Stamps K2's ownership on what runs, cluster by cluster. The Deployment and Service
   * are applied at the version the checks read (a change meanwhile is 409); a pod that
   * ended meanwhile is passed over, its replacement is K2's release's to make.
   *
   * @throws ForwardedError naming the cluster that refused and what is already K2's
   */
  async #takeOwnership(
    takeovers: Takeover[],
    service: string,
    spec: K2ReleaseSpec,
    environment: string,
  ) {
    const done: string[] = [];
    for (const { cluster, owned, pods } of takeovers) {
      try {
        for (const object of owned) {
          const { name, namespace, resourceVersion } = object.metadata;
          await this.#access.apply(
            cluster,
            {
              apiVersion: object.apiVersion,
              kind: object.kind,
              metadata: {
                name,
                namespace,
                resourceVersion,
                labels: k2Labels(spec, environment),
                annotations: { [ANNOTATION_ENTITY_REF]: service },
              },
            },
            { force: true },
          );
        }
        for (const pod of pods)
          await this.#stampPod(cluster, pod, spec, environment);
      } catch (error) {
        throw new ForwardedError(
          `Adoption did not finish: cluster '${cluster}' refused K2's ownership labels, so nothing was recorded${
            done.length
              ? ` (what runs in ${done
                  .map(c => `'${c}'`)
                  .join(', ')} is K2's already)`
              : ''
          }; adopt again once the cluster accepts them`,
          error,
        );
      }
      done.push(cluster);
    }
  }

  /**
   * Gives a running pod the labels K2's Service selects, so that the first release's
   * Service keeps it in traffic until its replacement is ready.
   */
  async #stampPod(
    cluster: string,
    pod: KubeObject,
    spec: K2ReleaseSpec,
    environment: string,
  ) {
    const { name, namespace } = pod.metadata;
    try {
      await this.#access.apply(cluster, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          labels: {
            ...selectorLabels(spec, environment),
            [LABEL_TRAFFIC]: 'on',
          },
        },
      });
    } catch (error) {
      const now = this.#access
        .cache(cluster)
        .store('pods')
        .get(namespace, name);
      if (now && !now.metadata.deletionTimestamp) throw error;
    }
  }
}

/**
 * The spec K2 would release, with what runs in its place: image, replicas per
 * cluster, the container's resources and its plain variables as they are. K2's own
 * platform variables are left out (K2 sets them when it renders); variables from other
 * sources are returned by name in `notRecorded`.
 */
export function adoptedSpec(
  base: K2ReleaseSpec,
  clusters: Array<{ name: string; weight: number }>,
  live: LiveDeployment[],
): { spec: K2ReleaseSpec; notRecorded: string[] } {
  const first = live[0].container;
  const env: K2PlainEnvVar[] = [];
  const notRecorded: string[] = [];
  for (const e of first.env ?? []) {
    if (PLATFORM_ENV_VARS.includes(e.name)) continue;
    if (e.valueFrom !== undefined || e.value === undefined) {
      notRecorded.push(e.name);
    } else {
      env.push({ name: e.name, value: e.value });
    }
  }
  if (first.envFrom?.length) notRecorded.push('envFrom');
  const limits = first.resources?.limits ?? {};
  const requests = first.resources?.requests ?? {};
  const perCluster = clusters.map(c => ({
    name: c.name,
    weight: c.weight,
    replicas: live.find(d => d.cluster === c.name)?.replicas ?? 0,
  }));
  return {
    spec: {
      ...base,
      image: first.image,
      replicas: perCluster.reduce((sum, c) => sum + c.replicas, 0),
      clusters: perCluster,
      resources: {
        limits: {
          cpu: limits.cpu ?? requests.cpu ?? base.resources.limits.cpu,
          memory:
            limits.memory ?? requests.memory ?? base.resources.limits.memory,
        },
        requests: {
          cpu: requests.cpu ?? limits.cpu ?? base.resources.requests.cpu,
          memory:
            requests.memory ?? limits.memory ?? base.resources.requests.memory,
        },
      },
      env,
    },
    notRecorded,
  };
}
