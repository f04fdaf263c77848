import { ForwardedError } from '@backstage/errors';
import {
  K2ClusterAccess,
  KubeApiError,
  KubeObject,
} from '@internal/plugin-k2-node';

/** Where the objects the lifecycle reads back (the middleware caches do not hold them) live. */
const READ_PATHS = {
  PersistentVolumeClaim: {
    basePath: '/api/v1',
    plural: 'persistentvolumeclaims',
  },
  Job: { basePath: '/apis/batch/v1', plural: 'jobs' },
  Secret: { basePath: '/api/v1', plural: 'secrets' },
} as const;

/** Where an instance's objects live. */
export interface InstancePlace {
  cluster: string;
  namespace: string;
}

/** How a Job stands, from its status conditions. */
export type JobState = 'absent' | 'running' | 'succeeded' | 'failed';

/** A Job's state and, once failed, why (its `Failed` condition). */
export interface JobStatus {
  state: JobState;
  reason?: string;
}

/**
 * The cluster side of an instance's lifecycle, through K2's one access layer: applying
 * and deleting its rendered objects, the backup volume and dump Job of a deletion, and
 * the objects only retention removes (Secret, data volumes, backup volume).
 *
 * Invariant: every method is idempotent: applying what exists or deleting what is
 * gone succeeds, so a step cut short by a crash is simply taken again.
 */
export class InstanceObjects {
  readonly #access: K2ClusterAccess;

  constructor(options: { access: K2ClusterAccess }) {
    this.#access = options.access;
  }

  /** Applies `objects` in their order (server-side apply under K2's field manager). */
  async apply(place: InstancePlace, objects: KubeObject[]): Promise<void> {
    for (const object of objects) {
      await this.#access.apply(place.cluster, withNamespace(object, place), {
        force: true,
      });
    }
  }

  /** Deletes `objects` in reverse order (the workload before what it uses). */
  async delete(place: InstancePlace, objects: KubeObject[]): Promise<void> {
    for (const object of [...objects].reverse()) {
      await this.#access.delete(place.cluster, withNamespace(object, place));
    }
  }

  /** One read of a volume, Job or Secret from the cluster, or undefined when absent. */
  async read(
    place: InstancePlace,
    kind: keyof typeof READ_PATHS,
    name: string,
  ): Promise<KubeObject | undefined> {
    const { basePath, plural } = READ_PATHS[kind];
    try {
      return await this.#access.get<KubeObject>(
        place.cluster,
        `${basePath}/namespaces/${encodeURIComponent(
          place.namespace,
        )}/${plural}/${encodeURIComponent(name)}`,
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        return undefined;
      }
      throw new ForwardedError(
        `Could not read ${kind} ${place.namespace}/${name} in cluster '${place.cluster}'`,
        error,
      );
    }
  }

  /**
   * Creates the backup volume `name` like the data volume `like` (same class, size and
   * access modes), unless it exists.
   *
   * @throws Error when the data volume does not exist
   */
  async ensureBackupVolume(
    place: InstancePlace,
    name: string,
    like: string,
    labels: Record<string, string>,
  ): Promise<void> {
    if (await this.read(place, 'PersistentVolumeClaim', name)) return;
    const data = await this.read(place, 'PersistentVolumeClaim', like);
    if (!data) {
      throw new Error(
        `the data volume ${like} does not exist in namespace '${place.namespace}' of cluster '${place.cluster}'`,
      );
    }
    await this.#access.apply(place.cluster, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: place.namespace, labels },
      spec: {
        accessModes: data.spec?.accessModes ?? ['ReadWriteOnce'],
        storageClassName: data.spec?.storageClassName,
        resources: { requests: { ...data.spec?.resources?.requests } },
      },
    });
  }

  /** Creates the Job unless one of its name exists (a Job's pod template is immutable). */
  async ensureJob(place: InstancePlace, job: KubeObject): Promise<void> {
    if (await this.read(place, 'Job', job.metadata.name)) return;
    await this.#access.apply(place.cluster, withNamespace(job, place));
  }

  /** The Job's state from its status, read from the cluster (Jobs are not watched). */
  async jobStatus(place: InstancePlace, name: string): Promise<JobStatus> {
    const job = await this.read(place, 'Job', name);
    if (!job) return { state: 'absent' };
    const conditions: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }> = job.status?.conditions ?? [];
    const holds = (type: string) =>
      conditions.find(c => c.type === type && c.status === 'True');
    if (holds('Complete')) return { state: 'succeeded' };
    const failed = holds('Failed');
    if (failed) {
      return {
        state: 'failed',
        reason: [failed.reason, failed.message].filter(Boolean).join(': '),
      };
    }
    return { state: 'running' };
  }

  /** Deletes objects by kind and name (already gone is fine). */
  async deleteNamed(
    place: InstancePlace,
    objects: Array<{ kind: string; name: string }>,
  ): Promise<void> {
    for (const { kind, name } of objects) {
      await this.#access.delete(place.cluster, {
        apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
        kind,
        metadata: { name, namespace: place.namespace },
      });
    }
  }
}

function withNamespace(object: KubeObject, place: InstancePlace): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, namespace: place.namespace },
  };
}
