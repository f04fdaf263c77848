import {
  KubeletFsStats,
  KubeletNodeSummary,
  KubeObject,
} from '@internal/plugin-k2-node';
import { PodService } from '../signals/podService';

/** What the cluster checks look for. */
export type ClusterCheck =
  | 'node-memory-pressure'
  | 'node-disk-pressure'
  | 'node-pid-pressure'
  | 'node-disk-almost-full'
  | 'replicas-on-one-node'
  | 'pod-pending';

export const CLUSTER_CHECKS: readonly ClusterCheck[] = [
  'node-memory-pressure',
  'node-disk-pressure',
  'node-pid-pressure',
  'node-disk-almost-full',
  'replicas-on-one-node',
  'pod-pending',
];

/** The node condition each pressure check reads. */
const PRESSURE: Record<string, ClusterCheck> = {
  MemoryPressure: 'node-memory-pressure',
  DiskPressure: 'node-disk-pressure',
  PIDPressure: 'node-pid-pressure',
};

/**
 * One finding of one check in one cluster: a node (the pressure and disk checks) or a service
 * (packed replicas, pending pods). `key` is what a finding is converged by: the same
 * check on the same node or service in the same cluster is one finding, however many
 * pods show it.
 */
export interface ClusterFinding {
  key: string;
  check: ClusterCheck;
  cluster: string;
  node?: string;
  service?: PodService;
  /** When the condition began, as the cluster tells it. */
  since: string;
  /** The pods concerned, sorted (service findings only). */
  pods: string[];
  /** Plain words for the incident's title. */
  summary: string;
}

/**
 * Everything the checks find in one cluster's watch caches at `now`:
 * - a node whose MemoryPressure, DiskPressure or PIDPressure condition is True,
 *   since its last transition;
 * - a service with two or more running replicas, all on one node (one node going
 *   down takes the whole service in that cluster with it), since the newest of them
 *   started;
 * - a service with pods pending (not yet running) for at least `pendingAfterMs`, since
 *   the oldest of them was created plus that time.
 * Pods being deleted and pods of no K2 service are not looked at.
 */
export function evaluateCluster(options: {
  cluster: string;
  nodes: KubeObject[];
  pods: KubeObject[];
  serviceOf(pod: KubeObject): PodService | undefined;
  pendingAfterMs: number;
  now: number;
}): ClusterFinding[] {
  const { cluster, now } = options;
  const findings: ClusterFinding[] = [];
  for (const node of options.nodes) {
    for (const condition of node.status?.conditions ?? []) {
      const check = PRESSURE[condition.type];
      if (!check || condition.status !== 'True') continue;
      const name = node.metadata.name;
      findings.push({
        key: `${cluster}|${name}|${check}`,
        check,
        cluster,
        node: name,
        since: timestamp(condition.lastTransitionTime, now),
        pods: [],
        summary: `Node ${name} in cluster ${cluster}: ${condition.type} (${
          condition.reason ?? 'no reason given'
        })`,
      });
    }
  }

  const running = new Map<
    string,
    { service: PodService; pods: KubeObject[] }
  >();
  const pending = new Map<
    string,
    { service: PodService; pods: KubeObject[] }
  >();
  for (const pod of options.pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const phase = pod.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    const service = options.serviceOf(pod);
    if (!service) continue;
    const key = `${service.entityRef}|${service.environment}|${service.namespace}`;
    const into = phase === 'Running' ? running : pending;
    const entry = into.get(key) ?? { service, pods: [] };
    entry.pods.push(pod);
    into.set(key, entry);
  }

  for (const [key, { service, pods }] of running) {
    const nodes = new Set(pods.map(pod => pod.spec?.nodeName ?? ''));
    const [node] = nodes;
    if (pods.length < 2 || nodes.size !== 1 || !node) continue;
    const newest = Math.max(...pods.map(pod => created(pod, now)));
    findings.push({
      key: `${cluster}|${key}|replicas-on-one-node`,
      check: 'replicas-on-one-node',
      cluster,
      node,
      service,
      since: new Date(newest).toISOString(),
      pods: names(pods),
      summary: `All ${pods.length} replicas of ${nameOf(
        service,
      )} in cluster ${cluster} run on node ${node}`,
    });
  }

  for (const [key, { service, pods }] of pending) {
    const late = pods.filter(
      pod => now - created(pod, now) >= options.pendingAfterMs,
    );
    if (late.length === 0) continue;
    const oldest = Math.min(...late.map(pod => created(pod, now)));
    findings.push({
      key: `${cluster}|${key}|pod-pending`,
      check: 'pod-pending',
      cluster,
      service,
      since: new Date(oldest + options.pendingAfterMs).toISOString(),
      pods: names(late),
      summary: `${late.length} pod(s) of ${nameOf(
        service,
      )} pending in cluster ${cluster} for more than ${Math.round(
        options.pendingAfterMs / 60_000,
      )} min`,
    });
  }
  return findings;
}

function timestamp(value: string | undefined, now: number): string {
  const at = Date.parse(value ?? '');
  return new Date(Number.isNaN(at) ? now : at).toISOString();
}

function created(pod: KubeObject, now: number): number {
  const at = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(at) ? now : at;
}

function names(pods: KubeObject[]): string[] {
  return pods.map(pod => pod.metadata.name).sort();
}

function nameOf(service: PodService): string {
  return `${service.entityRef.replace(/^component:(default\/)?/, '')} (${
    service.environment
  })`;
}

/** A filesystem's share in use, in percent: what is no longer available to pods. */
function usedPercent(fs: KubeletFsStats | undefined): number | undefined {
  const capacity = fs?.capacityBytes;
  if (!capacity || !(capacity > 0)) return undefined;
  const available = fs.availableBytes;
  const used = available !== undefined ? capacity - available : fs.usedBytes;
  if (used === undefined || !Number.isFinite(used)) return undefined;
  return (100 * used) / capacity;
}

/**
 * The disk check of one node from its kubelet summary: a finding when the root
 * filesystem (`node.fs`) or the image filesystem (`node.runtime.imageFs`) is at or
 * above `thresholdPercent` in use (capacity less available bytes), named after the
 * fuller of the two; none when neither is, or the summary has no figures. `since` is
 * the caller's: the kubelet does not say when a disk crossed a threshold.
 */
export function evaluateNodeDisk(options: {
  cluster: string;
  node: string;
  summary: KubeletNodeSummary;
  thresholdPercent: number;
  since: string;
}): ClusterFinding | undefined {
  const { cluster, node, thresholdPercent } = options;
  const filesystems: [string, number | undefined][] = [
    ['root filesystem', usedPercent(options.summary.node.fs)],
    ['image filesystem', usedPercent(options.summary.node.runtime?.imageFs)],
  ];
  const over = filesystems
    .filter((f): f is [string, number] => (f[1] ?? -1) >= thresholdPercent)
    .sort((a, b) => b[1] - a[1]);
  if (over.length === 0) return undefined;
  const [[which, percent]] = over;
  return {
    key: `${cluster}|${node}|node-disk-almost-full`,
    check: 'node-disk-almost-full',
    cluster,
    node,
    since: options.since,
    pods: [],
    summary: `Node ${node} in cluster ${cluster}: ${which} ${Math.floor(
      percent,
    )}% used (threshold ${thresholdPercent}%)`,
  };
}
