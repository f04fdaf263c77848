import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  K2PlainEnvVar,
  k2ReleaseCreatePermission,
  K2ReleaseSpec,
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
}

/**
 * Adoption: a service that already runs in an environment, released by other means
 * than K2, gets its release #1 recorded from what runs, so its page shows a history,
 * a running release to compare with and roll back to.
 *
 * Invariants: nothing is written to a cluster; only the environment's first release
 * can be an adoption (409 otherwise); a variable the Deployment reads from a Secret
 * (or any other `valueFrom`/`envFrom` source) is named in the release's message and
 * never read, so no secret value reaches the database, the audit log or a response.
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
   *   different images, or another service claims the workload identity
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
        },
      ];
    });
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
