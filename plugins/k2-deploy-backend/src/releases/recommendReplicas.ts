import {
  K2ReleaseSpec,
  K2ReplicaRecommendation as ReplicaRecommendation,
  parseCpuMillicores,
  parseMemoryBytes,
  parseQuantity,
} from '@internal/plugin-k2-common';

/** Target utilisation (percent of requests) used when autoscaling sets none. */
export const DEFAULT_TARGET_UTILIZATION = 70;

/** A pod's usage as metrics.k8s.io reports it. */
export interface PodUsage {
  containers: Array<{ usage: { cpu?: string; memory?: string } }>;
}

// Metrics report CPU in nanocores (`123456n`): millicores, unrounded, for the sum.
function cpuOf(value = '0'): number {
  return Math.max(0, (parseQuantity(value) ?? 0) * 1000);
}

/**
 * The replica count that would put the service at its target utilisation: the sum of
 * current usage divided by what one pod may use at the target.
 */
export function recommendReplicas(
  spec: K2ReleaseSpec,
  pods: PodUsage[],
): ReplicaRecommendation {
  const cpuRequest = parseCpuMillicores(spec.resources.requests.cpu) || 1;
  const memoryRequest = parseMemoryBytes(spec.resources.requests.memory) || 1;
  const cpuTarget =
    spec.autoscaling?.cpuUtilization ?? DEFAULT_TARGET_UTILIZATION;
  const memoryTarget =
    spec.autoscaling?.memoryUtilization ?? DEFAULT_TARGET_UTILIZATION;
  const containers = pods.flatMap(p => p.containers);
  const cpuUsage = containers.reduce((n, c) => n + cpuOf(c.usage.cpu), 0);
  const memoryUsage = containers.reduce(
    (n, c) => n + (parseMemoryBytes(c.usage.memory ?? '0') ?? 0),
    0,
  );
  const byCpu = Math.ceil(cpuUsage / ((cpuTarget / 100) * cpuRequest));
  const byMemory = Math.ceil(
    memoryUsage / ((memoryTarget / 100) * memoryRequest),
  );
  return {
    pods: pods.length,
    cpuUsage: Math.round(cpuUsage),
    memoryUsage,
    cpuRequest,
    memoryRequest,
    cpuTarget,
    memoryTarget,
    replicas: Math.max(1, byCpu, byMemory),
  };
}
