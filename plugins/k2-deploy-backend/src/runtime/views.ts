import {
  K2ContainerStatusView,
  K2EventView,
  K2PodView,
  K2RolloutState,
  K2WorkloadView,
} from '@internal/plugin-k2-common';
import {
  LABEL_RELEASE,
  LABEL_TRACK,
  LABEL_TRAFFIC,
  TRACK_CANARY,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';

type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
};

function condition(object: KubeObject, type: string): Condition | undefined {
  return (object.status?.conditions as Condition[] | undefined)?.find(
    c => c.type === type,
  );
}

function templateImages(object: KubeObject): string[] {
  return (object.spec?.template?.spec?.containers ?? []).map(
    (c: { image: string }) => c.image,
  );
}

/** Rollout state of a Deployment, following `kubectl rollout status`. */
export function deploymentRollout(d: KubeObject): {
  state: K2RolloutState;
  message: string;
} {
  const desired = d.spec?.replicas ?? 1;
  const status = d.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if ((d.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return {
      state: 'progressing',
      message: 'Waiting for the new spec to be picked up',
    };
  }
  const progressing = condition(d, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      message:
        progressing.message ?? 'The rollout exceeded its progress deadline',
    };
  }
  if (d.spec?.paused) {
    return { state: 'paused', message: 'The rollout is paused' };
  }
  if (updated < desired) {
    return {
      state: 'progressing',
      message: `${updated} of ${desired} replicas updated`,
    };
  }
  if (total > updated) {
    return {
      state: 'progressing',
      message: `${total - updated} old replica${
        total - updated === 1 ? '' : 's'
      } pending termination`,
    };
  }
  if (available < updated) {
    return {
      state: 'progressing',
      message: `${available} of ${updated} updated replicas available`,
    };
  }
  return { state: 'complete', message: `${available} replicas available` };
}

/** Rollout state of a StatefulSet (RollingUpdate strategy). */
export function statefulSetRollout(s: KubeObject): {
  state: K2RolloutState;
  message: string;
} {
  const desired = s.spec?.replicas ?? 1;
  const status = s.status ?? {};
  if ((s.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return {
      state: 'progressing',
      message: 'Waiting for the new spec to be picked up',
    };
  }
  const ready = status.readyReplicas ?? 0;
  if (ready < desired) {
    return {
      state: 'progressing',
      message: `${ready} of ${desired} pods ready`,
    };
  }
  if (
    status.updateRevision &&
    status.currentRevision !== status.updateRevision
  ) {
    return {
      state: 'progressing',
      message: `${status.updatedReplicas ?? 0} of ${desired} pods updated`,
    };
  }
  return { state: 'complete', message: `${ready} pods ready` };
}

export function workloadView(
  object: KubeObject,
  autoscalers: KubeObject[],
): K2WorkloadView {
  const kind = object.kind === 'StatefulSet' ? 'StatefulSet' : 'Deployment';
  const status = object.status ?? {};
  const hpa = autoscalers.find(
    h =>
      h.spec?.scaleTargetRef?.kind === kind &&
      h.spec?.scaleTargetRef?.name === object.metadata.name,
  );
  return {
    kind,
    namespace: object.metadata.namespace!,
    name: object.metadata.name,
    images: templateImages(object),
    replicas: {
      desired: object.spec?.replicas ?? 1,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available:
        kind === 'StatefulSet'
          ? status.availableReplicas ?? status.readyReplicas ?? 0
          : status.availableReplicas ?? 0,
    },
    rollout:
      kind === 'StatefulSet'
        ? statefulSetRollout(object)
        : deploymentRollout(object),
    revision:
      kind === 'StatefulSet'
        ? status.updateRevision
        : object.metadata.annotations?.['deployment.kubernetes.io/revision'],
    autoscaler: hpa && {
      name: hpa.metadata.name,
      minReplicas: hpa.spec?.minReplicas ?? 1,
      maxReplicas: hpa.spec?.maxReplicas ?? 1,
      currentReplicas: hpa.status?.currentReplicas ?? 0,
      desiredReplicas: hpa.status?.desiredReplicas ?? 0,
    },
    createdAt: object.metadata.creationTimestamp,
    ...(object.metadata.labels?.[LABEL_TRACK] === TRACK_CANARY
      ? { track: TRACK_CANARY }
      : {}),
  };
}

type Terminated = {
  reason?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
};

export type ContainerStatus = {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    running?: { startedAt?: string };
    terminated?: Terminated;
  };
  lastState?: { terminated?: Terminated };
};

function stateOf(
  state: NonNullable<ContainerStatus['state']>,
): K2ContainerStatusView['state'] {
  if (state.running) return 'running';
  if (state.terminated) return 'terminated';
  return 'waiting';
}

function containerStatusView(
  container: { name: string; image: string },
  status: ContainerStatus | undefined,
): K2ContainerStatusView {
  const state = status?.state ?? {};
  const last = status?.lastState?.terminated;
  return {
    name: container.name,
    image: status?.image ?? container.image,
    ready: Boolean(status?.ready),
    restarts: status?.restartCount ?? 0,
    state: stateOf(state),
    reason: state.waiting?.reason ?? state.terminated?.reason,
    startedAt: state.running?.startedAt ?? state.terminated?.startedAt,
    lastTermination: last && {
      reason: last.reason,
      exitCode: last.exitCode,
      finishedAt: last.finishedAt,
    },
  };
}

/** The release number a pod's `k2.io/release` label names, if any. */
export function releaseOf(object: KubeObject): number | undefined {
  const value = Number(object.metadata.labels?.[LABEL_RELEASE]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * @param workloadOf - resolves a pod's controller (kind and name) to its workload name
 */
export function podView(
  pod: KubeObject,
  workloadOf: (owner: { kind: string; name: string }) => string | undefined,
): K2PodView {
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const containers = pod.spec?.containers ?? [];
  const owner = pod.metadata.ownerReferences?.find(o => o.controller);
  const reason =
    statuses
      .map(s => s.state?.waiting?.reason ?? s.state?.terminated?.reason)
      .find(Boolean) ?? pod.status?.reason;
  return {
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name,
    phase: pod.status?.phase ?? 'Pending',
    containers: {
      ready: statuses.filter(s => s.ready).length,
      total: containers.length,
    },
    ready: condition(pod, 'Ready')?.status === 'True',
    reason,
    restarts: statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    images: containers.map((c: { image: string }) => c.image),
    workload: owner ? workloadOf(owner) : undefined,
    createdAt: pod.metadata.creationTimestamp,
    startedAt: pod.status?.startTime,
    terminating: Boolean(pod.metadata.deletionTimestamp),
    release: releaseOf(pod),
    inTraffic: pod.metadata.labels?.[LABEL_TRAFFIC] === 'on',
    ...(pod.metadata.labels?.[LABEL_TRACK] === TRACK_CANARY
      ? { track: TRACK_CANARY }
      : {}),
    containerStatuses: containers.map((c: { name: string; image: string }) =>
      containerStatusView(
        c,
        statuses.find(s => s.name === c.name),
      ),
    ),
  };
}

export function eventView(event: KubeObject): K2EventView {
  const o = event.involvedObject ?? {};
  return {
    namespace: event.metadata.namespace!,
    object: `${o.kind}/${o.name}`,
    reason: event.reason ?? '',
    message: event.message ?? '',
    count: event.count ?? 1,
    firstSeen: event.firstTimestamp ?? event.metadata.creationTimestamp,
    lastSeen: event.lastTimestamp ?? event.firstTimestamp,
  };
}
