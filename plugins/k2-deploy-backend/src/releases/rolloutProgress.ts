import { ClusterCache, KubeObject } from '@internal/plugin-k2-node';
import { StoredClusterProgress } from '../database/ReleaseStore';
import { deploymentRollout } from '../runtime/views';

/** Restarts after which a crash-looping new pod fails the release at once. */
export const CRASH_LOOP_RESTARTS = 3;

/** What a cluster's rollout looks like now, and whether it can still succeed. */
export interface ClusterObservation {
  progress: StoredClusterProgress;
  /** Set when the rollout cannot succeed (image cannot be pulled, crash loop, deadline). */
  fatal?: string;
}

/** Pods created from the Deployment's newest ReplicaSet. */
function newPods(cache: ClusterCache, deployment: KubeObject): KubeObject[] {
  const { namespace, name, annotations } = deployment.metadata;
  const revision = annotations?.['deployment.kubernetes.io/revision'];
  // Through the service index: O(this service's objects), not the cluster's.
  const replicaSets = cache
    .byService('replicasets', name)
    .filter(
      rs =>
        rs.metadata.namespace === namespace &&
        rs.metadata.ownerReferences?.some(
          o => o.controller && o.kind === 'Deployment' && o.name === name,
        ),
    );
  const newest = replicaSets.find(
    rs =>
      revision !== undefined &&
      rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ===
        revision,
  );
  if (!newest) return [];
  const rsName = newest.metadata.name;
  return cache
    .byService('pods', name)
    .filter(
      p =>
        p.metadata.namespace === namespace &&
        p.metadata.ownerReferences?.some(
          o => o.controller && o.kind === 'ReplicaSet' && o.name === rsName,
        ),
    );
}

type ContainerStatus = {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: object;
  };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
};

/**
 * Why new pods are not ready, in the words an engineer needs: the fatal ones end the
 * release now, the others become the reason if the rollout times out.
 */
export function diagnosePods(
  cache: ClusterCache,
  pods: KubeObject[],
): { fatal?: string; message?: string } {
  let message: string | undefined;
  for (const pod of pods) {
    const name = pod.metadata.name;
    const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
    for (const c of statuses) {
      const waiting = c.state?.waiting;
      if (
        waiting?.reason === 'ImagePullBackOff' ||
        waiting?.reason === 'InvalidImageName'
      ) {
        const image = pod.spec?.containers?.find(
          (k: { name: string }) => k.name === c.name,
        )?.image;
        return {
          fatal: `Image ${image} cannot be pulled (${
            waiting.reason
          } on ${name}): ${waiting.message ?? 'no details from the kubelet'}`,
        };
      }
      if (waiting?.reason === 'ErrImagePull') {
        message ??= `Pulling the image fails on ${name}: ${
          waiting.message ?? ''
        }`;
      }
      if (
        waiting?.reason === 'CrashLoopBackOff' &&
        (c.restartCount ?? 0) >= CRASH_LOOP_RESTARTS
      ) {
        const last = c.lastState?.terminated;
        return {
          fatal: `Crash loop: container ${c.name} of ${name} exited ${
            c.restartCount
          } times (last exit code ${last?.exitCode ?? 'unknown'}${
            last?.reason ? `, ${last.reason}` : ''
          })`,
        };
      }
      if (c.lastState?.terminated?.reason === 'OOMKilled') {
        message ??= `Container ${c.name} of ${name} was OOMKilled; raise its memory limit`;
      }
    }
    const scheduled = (pod.status?.conditions ?? []).find(
      (k: { type: string }) => k.type === 'PodScheduled',
    );
    if (scheduled?.status === 'False') {
      message ??= `${name} cannot be scheduled: ${
        scheduled.message ?? scheduled.reason
      }`;
    }
    const ready = statuses.length > 0 && statuses.every(c => c.ready);
    if (!ready && statuses.some(c => c.state?.running)) {
      const unhealthy = cache
        .eventsFor('Pod', pod.metadata.namespace!, name)
        .filter(e => e.reason === 'Unhealthy')
        .sort((a, b) =>
          String(b.lastTimestamp ?? '').localeCompare(
            String(a.lastTimestamp ?? ''),
          ),
        )[0];
      message ??= `${name} is running, not ready yet${
        unhealthy?.message ? `: ${unhealthy.message}` : ''
      }`;
    }
  }
  return { message };
}

/**
 * A release's progress in one cluster, read from the watch cache: the Deployment's
 * status once it has observed K2's apply (its generation), and a diagnosis of the new
 * pods.
 */
export function observeCluster(
  cache: ClusterCache,
  options: {
    namespace: string;
    name: string;
    replicas: number;
    generation?: number;
  },
): ClusterObservation {
  const base = {
    cluster: cache.name,
    replicas: options.replicas,
    generation: options.generation,
  };
  const deployment = cache
    .store('deployments')
    .get(options.namespace, options.name);
  if (!deployment || options.generation === undefined) {
    return {
      progress: {
        ...base,
        updated: 0,
        ready: 0,
        available: 0,
        old: 0,
        done: false,
        message: 'Waiting for the Deployment',
      },
    };
  }
  const status = deployment.status ?? {};
  const observed = (status.observedGeneration ?? 0) >= options.generation;
  // With autoscaling the HPA decides the count; follow the Deployment's.
  const desired = deployment.spec?.replicas ?? options.replicas;
  const updated = observed ? status.updatedReplicas ?? 0 : 0;
  const total = status.replicas ?? 0;
  const rollout = deploymentRollout(deployment);
  const done = observed && rollout.state === 'complete' && updated === desired;
  const progress: StoredClusterProgress = {
    ...base,
    replicas: desired,
    updated,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    old: Math.max(0, total - updated),
    done,
  };
  if (done) return { progress };

  const diagnosis = observed
    ? diagnosePods(cache, newPods(cache, deployment))
    : {};
  if (observed && rollout.state === 'failed') {
    return {
      progress: { ...progress, message: rollout.message },
      fatal: diagnosis.fatal ?? diagnosis.message ?? rollout.message,
    };
  }
  return {
    progress: {
      ...progress,
      message: diagnosis.fatal ?? diagnosis.message ?? rollout.message,
    },
    fatal: diagnosis.fatal,
  };
}
