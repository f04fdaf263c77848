import { AlertSignalReason } from '@internal/plugin-k2-alerts-common';
import { KubeObject } from '@internal/plugin-k2-node';

/** What one pod tells about its service right now. */
export interface PodSignals {
  /** Conditions that hold while the pod is as it is (crash loop, unschedulable). */
  states: AlertSignalReason[];
  /** Container ends, each at the time it ended (OOM kill, error exit). */
  ended: Array<{ reason: AlertSignalReason; at: number }>;
  /** Running but not ready since then (epoch ms); readiness fails after a grace. */
  notReadySince?: number;
}

const time = (value: unknown): number | undefined => {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * The signals of one pod, from its status alone (so every update of the pod gives
 * the same answer, and redelivered watch events change nothing). One condition per
 * container, most specific first: a container whose last run was OOM-killed is
 * `oomkilled` even while the kubelet backs off restarting it; a crash loop of any other
 * ending is `crashloop`; an error exit that is not (yet) a crash loop is `error-exit`.
 * A pod the scheduler could not place is `failed-scheduling`; a running pod whose
 * containers run but are not ready reports since when.
 */
export function podSignals(pod: KubeObject): PodSignals {
  const signals: PodSignals = { states: [], ended: [] };
  if (pod.metadata.deletionTimestamp) return signals;
  const status = pod.status ?? {};
  const scheduled = (status.conditions ?? []).find(
    (c: { type?: string }) => c.type === 'PodScheduled',
  );
  if (scheduled?.status === 'False') {
    signals.states.push('failed-scheduling');
    return signals;
  }
  const init: any[] = status.initContainerStatuses ?? [];
  const containers: any[] = [...init, ...(status.containerStatuses ?? [])];
  let allRunning = containers.length > init.length;
  let notReadySince: number | undefined;
  for (const container of containers) {
    const last = container.state?.terminated ?? container.lastState?.terminated;
    const backingOff = container.state?.waiting?.reason === 'CrashLoopBackOff';
    const endedAt = time(last?.finishedAt);
    if (last?.reason === 'OOMKilled') {
      if (endedAt !== undefined) {
        signals.ended.push({ reason: 'oomkilled', at: endedAt });
      }
    } else if (backingOff) {
      signals.states.push('crashloop');
    } else if (
      last &&
      Number(last.exitCode) !== 0 &&
      endedAt !== undefined &&
      (container.restartCount ?? 0) > 0
    ) {
      signals.ended.push({ reason: 'error-exit', at: endedAt });
    }
    // Init containers end by design; readiness is about the others.
    if (init.includes(container)) continue;
    const running = time(container.state?.running?.startedAt);
    if (running === undefined) {
      allRunning = false;
    } else if (container.ready === false) {
      notReadySince = Math.max(notReadySince ?? 0, running);
    }
  }
  if (status.phase === 'Running' && allRunning && notReadySince !== undefined) {
    signals.notReadySince = notReadySince;
  }
  return signals;
}
