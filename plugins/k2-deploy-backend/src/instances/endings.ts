import {
  ANNOTATION_ENDED_BY,
  ANNOTATION_RESTARTED_AT,
  K2ContainerEnd,
  K2EventView,
  LABEL_ENVIRONMENT,
  LABEL_SERVICE,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';
import { EndedContainer } from '../database/InstanceStore';
import { ContainerStatus, releaseOf } from '../runtime/views';

/** Why a pod ended, as far as the cluster and K2's own marks tell. */
export interface PodEnd {
  end: K2ContainerEnd;
  message: string;
  actor?: string;
}

/** What K2 writes into {@link ANNOTATION_ENDED_BY} before it deletes a pod. */
export interface EndedByMark {
  end: 'restarted' | 'destroyed';
  actor: string;
}

/** The pod's owners at the moment it started to end, from the watch cache. */
export interface PodOwners {
  /** The Deployment that owns the pod through its ReplicaSet, if it still exists. */
  deployment?: KubeObject;
  /** Replicas the pod's ReplicaSet asks for. */
  replicas?: number;
  /** The ReplicaSet's other pods that are not terminating. */
  liveSiblings: number;
}

/**
 * Why a pod ended, decided when it first shows as terminating (or is gone): K2's own
 * mark (restart or destroy of one instance), eviction, or what its Deployment says — a
 * new release or restart template replaced it, or its ReplicaSet already has enough
 * pods without it (scaled down). Anything else was deleted outside K2.
 */
export function classifyPodEnd(pod: KubeObject, owners: PodOwners): PodEnd {
  const mark = pod.metadata.annotations?.[ANNOTATION_ENDED_BY];
  if (mark) {
    try {
      const { end, actor } = JSON.parse(mark) as EndedByMark;
      if (end === 'restarted' || end === 'destroyed') {
        return {
          end,
          actor,
          message: `${
            end === 'restarted' ? 'Restarted' : 'Destroyed'
          } by ${actor}`,
        };
      }
    } catch {
      // Not K2's mark; classify from the cluster below.
    }
  }
  if (pod.status?.reason === 'Evicted') {
    return {
      end: 'evicted',
      message: `Evicted: ${
        pod.status?.message ?? 'the node reclaimed resources'
      }`,
    };
  }
  const { deployment } = owners;
  if (!deployment) {
    return {
      end: 'deleted',
      message: 'Deleted with its workload',
    };
  }
  const template = deployment.spec?.template?.metadata ?? {};
  const now = releaseOf({ metadata: template });
  if (now !== undefined && now !== releaseOf(pod)) {
    return { end: 'replaced', message: `Replaced by release #${now}` };
  }
  if (
    (template.annotations?.[ANNOTATION_RESTARTED_AT] ?? '') !==
    (pod.metadata.annotations?.[ANNOTATION_RESTARTED_AT] ?? '')
  ) {
    return { end: 'restarted', message: 'Replaced by a rolling restart' };
  }
  if (owners.replicas !== undefined && owners.liveSiblings >= owners.replicas) {
    return {
      end: 'scaled-down',
      message: `Scaled down to ${owners.replicas} replica${
        owners.replicas === 1 ? '' : 's'
      }`,
    };
  }
  return {
    end: 'deleted',
    message: 'Deleted outside K2 (Kubernetes does not record by whom)',
  };
}

/** How a container run that the kubelet restarted ended. */
export function classifyTermination(terminated: {
  reason?: string;
  exitCode?: number;
}): PodEnd & { exitCode?: number } {
  const exit =
    terminated.exitCode === undefined ? '' : ` (exit ${terminated.exitCode})`;
  if (terminated.reason === 'OOMKilled') {
    return {
      end: 'oom-killed',
      message: `OOMKilled${exit}: the container reached its memory limit`,
      exitCode: terminated.exitCode,
    };
  }
  if (terminated.exitCode === 0) {
    return {
      end: 'completed',
      message: `Exited${exit}`,
      exitCode: 0,
    };
  }
  return {
    end: 'crashed',
    message: `Crashed: ${terminated.reason ?? 'Error'}${exit}`,
    exitCode: terminated.exitCode,
  };
}

/** The pod's identity and placement, shared by every run recorded from it. */
function podFacts(cluster: string, pod: KubeObject) {
  const labels = pod.metadata.labels ?? {};
  return {
    serviceId: labels[LABEL_SERVICE],
    environment: labels[LABEL_ENVIRONMENT] ?? '',
    cluster,
    namespace: pod.metadata.namespace!,
    pod: pod.metadata.name,
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    release: releaseOf(pod),
  };
}

function imageOf(pod: KubeObject, container: string): string | undefined {
  return (pod.spec?.containers ?? []).find(
    (c: { name: string }) => c.name === container,
  )?.image;
}

const runId = (
  cluster: string,
  pod: KubeObject,
  container: string,
  run: number,
) => `${cluster}/${pod.metadata.uid ?? pod.metadata.name}/${container}/${run}`;

/**
 * Runs that ended between two versions of a live pod: each container whose restart
 * count went up ended its previous run as `lastState.terminated` says.
 */
export function restartedRuns(
  cluster: string,
  before: KubeObject,
  after: KubeObject,
): EndedContainer[] {
  const facts = podFacts(cluster, after);
  if (!facts.serviceId) return [];
  const was = new Map<string, number>(
    ((before.status?.containerStatuses ?? []) as ContainerStatus[]).map(s => [
      s.name,
      s.restartCount ?? 0,
    ]),
  );
  const runs: EndedContainer[] = [];
  for (const s of (after.status?.containerStatuses ??
    []) as ContainerStatus[]) {
    const count = s.restartCount ?? 0;
    const terminated = s.lastState?.terminated;
    if (count <= (was.get(s.name) ?? 0) || !terminated) continue;
    runs.push({
      ...facts,
      serviceId: facts.serviceId,
      id: runId(cluster, after, s.name, count - 1),
      container: s.name,
      image: s.image ?? imageOf(after, s.name),
      run: count - 1,
      startedAt: terminated.startedAt,
      endedAt: terminated.finishedAt ?? new Date().toISOString(),
      ...classifyTermination(terminated),
      events: [],
    });
  }
  return runs;
}

/** The runs a pod ended with when it disappeared (or was evicted): one per container. */
export function podEndRuns(
  cluster: string,
  pod: KubeObject,
  end: PodEnd,
  events: K2EventView[],
  endedAt: string,
): EndedContainer[] {
  const facts = podFacts(cluster, pod);
  if (!facts.serviceId) return [];
  const statuses = (pod.status?.containerStatuses ?? []) as ContainerStatus[];
  return (pod.spec?.containers ?? []).map(
    (c: { name: string; image: string }) => {
      const s = statuses.find(x => x.name === c.name);
      const run = s?.restartCount ?? 0;
      const terminated = s?.state?.terminated;
      return {
        ...facts,
        serviceId: facts.serviceId,
        id: runId(cluster, pod, c.name, run),
        container: c.name,
        image: s?.image ?? c.image,
        run,
        startedAt:
          s?.state?.running?.startedAt ??
          terminated?.startedAt ??
          pod.status?.startTime,
        endedAt: terminated?.finishedAt ?? endedAt,
        ...end,
        exitCode: terminated?.exitCode,
        events,
      };
    },
  );
}
