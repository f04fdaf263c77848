import {
  ClusterCache,
  KubeObject,
  middlewareKey,
} from '@internal/plugin-k2-node';

/** What the watch caches say about an applied instance. */
export interface LiveState {
  state: 'creating' | 'ready' | 'degraded' | 'updating';
  reason?: string;
  replicas?: { desired: number; ready: number };
}

/** How long a volume may stay unbound before the instance counts as degraded. */
const PENDING_VOLUME_MS = 2 * 60_000;

/** Waiting reasons of a container that is starting normally. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/** A reason from the pod's containers, conditions or latest warning event. */
function podProblem(cache: ClusterCache, pod: KubeObject): string | undefined {
  const name = pod.metadata.name;
  const statuses: any[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && !STARTING.has(waiting.reason)) {
      return `pod ${name}: ${waiting.reason}${
        waiting.message ? ` (${waiting.message})` : ''
      }`;
    }
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (!status.ready && terminated && terminated.exitCode !== 0) {
      return `pod ${name}: container ${status.name} exited with code ${
        terminated.exitCode
      }${terminated.reason ? ` (${terminated.reason})` : ''}`;
    }
  }
  const unschedulable = (pod.status?.conditions ?? []).find(
    (c: any) =>
      c.type === 'PodScheduled' &&
      c.status === 'False' &&
      c.reason === 'Unschedulable',
  );
  if (unschedulable) {
    return `pod ${name} cannot be scheduled${
      unschedulable.message ? `: ${unschedulable.message}` : ''
    }`;
  }
  if (pod.status?.phase === 'Pending') {
    const warning = cache
      .eventsFor('Pod', pod.metadata.namespace!, name)
      .filter(e => e.type === 'Warning')
      .sort((a, b) =>
        String(a.lastTimestamp ?? '').localeCompare(
          String(b.lastTimestamp ?? ''),
        ),
      )
      .pop();
    if (warning) return `pod ${name}: ${warning.reason}: ${warning.message}`;
  }
  return undefined;
}

/**
 * An applied instance's state from the watch caches of its cluster (no API call):
 * `ready` when every replica of its StatefulSets is ready and up to date; `updating`
 * while a StatefulSet rolls to a new spec; `degraded` with the first reason found (a
 * pod's waiting reason or failed container, an unschedulable pod, a volume unbound
 * for two minutes); otherwise `creating`.
 */
export function liveState(
  cache: ClusterCache,
  namespace: string,
  instance: string,
  now = new Date(),
): LiveState {
  const key = middlewareKey(namespace, instance);
  const statefulSets = cache.store('statefulsets').byIndex(key);
  if (statefulSets.length === 0) return { state: 'creating' };
  let desired = 0;
  let ready = 0;
  let rolling = false;
  for (const sts of statefulSets) {
    const replicas = Number(sts.spec?.replicas ?? 1);
    desired += replicas;
    ready += Number(sts.status?.readyReplicas ?? 0);
    const observed = Number(sts.status?.observedGeneration ?? 0);
    if (
      observed < Number(sts.metadata.generation ?? 0) ||
      Number(sts.status?.updatedReplicas ?? 0) < replicas ||
      (sts.status?.updateRevision &&
        sts.status.currentRevision !== sts.status.updateRevision)
    ) {
      rolling = true;
    }
  }
  const replicas = { desired, ready };
  const pods = cache
    .store('pods')
    .byIndex(key)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of pods) {
    const problem = podProblem(cache, pod);
    if (problem) return { state: 'degraded', reason: problem, replicas };
  }
  const pending = cache
    .store('persistentvolumeclaims')
    .byIndex(key)
    .filter(
      pvc =>
        pvc.status?.phase &&
        pvc.status.phase !== 'Bound' &&
        now.getTime() - Date.parse(pvc.metadata.creationTimestamp ?? '') >
          PENDING_VOLUME_MS,
    )
    .map(pvc => `volume ${pvc.metadata.name} is ${pvc.status.phase}`);
  if (pending.length > 0 && ready < desired) {
    return { state: 'degraded', reason: pending[0], replicas };
  }
  if (ready >= desired && !rolling) return { state: 'ready', replicas };
  if (rolling && ready > 0) return { state: 'updating', replicas };
  return { state: 'creating', replicas };
}
