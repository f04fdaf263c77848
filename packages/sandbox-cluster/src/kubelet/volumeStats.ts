import { createHash } from 'crypto';
import { quantity } from '../api/defaults';
import { KubeObject } from '../api/types';
import { escapeLabelValue } from '../metrics/prometheus';
import { NodeFilesystem } from './nodeFilesystem';

/** One persistent volume claim as a node's kubelet measures it. */
export interface VolumeStats {
  namespace: string;
  claim: string;
  /** The pods on the node that mount the claim (running ones only), with the volume's name in each. */
  pods: { namespace: string; name: string; uid: string; volume: string }[];
  capacityBytes: number;
  usedBytes: number;
  availableBytes: number;
  inodes: number;
  inodesUsed: number;
  inodesFree: number;
}

/** Bytes written per second of pod run time, before the per-claim factor (0.5..1.5). */
const GROWTH_BYTES_PER_SECOND = 4096;
/** A filesystem never fills past this share of its capacity in the model. */
const MAX_FILL = 0.95;
const BYTES_PER_INODE = 16384;
const BYTES_PER_USED_INODE = 65536;

/** A stable number in [0, 1) for a claim, so every node and scrape agrees. */
function fraction(uid: string): number {
  return createHash('sha256').update(uid).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The kubelet's volume statistics of one node: every Bound claim a Running pod on the
 * node mounts, once per claim (as the kubelet's `kubelet_volume_stats_*` collector
 * deduplicates them). Used bytes are deterministic: a per-claim base (2-12% of the
 * capacity) plus a slow growth (2-6 KiB/s, per claim) since the earliest start of the
 * cluster's running pods that mount it, never above 95% of the capacity; so a shared
 * volume reports the same figure on every node at the same instant.
 */
export function nodeVolumeStats(
  node: string,
  pods: KubeObject[],
  claims: KubeObject[],
  now: number,
): VolumeStats[] {
  const byKey = new Map<string, KubeObject>();
  for (const claim of claims) {
    if (claim.status?.phase === 'Bound')
      byKey.set(`${claim.metadata.namespace}/${claim.metadata.name}`, claim);
  }
  const firstStart = new Map<string, number>();
  const mounted = new Map<string, VolumeStats['pods']>();
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running') continue;
    const started = Date.parse(pod.status?.startTime ?? '');
    for (const volume of pod.spec?.volumes ?? []) {
      const name = volume.persistentVolumeClaim?.claimName;
      if (!name) continue;
      const key = `${pod.metadata.namespace}/${name}`;
      if (!byKey.has(key)) continue;
      if (Number.isFinite(started))
        firstStart.set(key, Math.min(firstStart.get(key) ?? started, started));
      if (pod.spec?.nodeName !== node) continue;
      const list = mounted.get(key) ?? [];
      list.push({
        namespace: pod.metadata.namespace ?? 'default',
        name: pod.metadata.name,
        uid: pod.metadata.uid ?? '',
        volume: volume.name,
      });
      mounted.set(key, list);
    }
  }
  const out: VolumeStats[] = [];
  for (const [key, mounts] of mounted) {
    const claim = byKey.get(key)!;
    const capacity = Math.floor(quantity(claim.status?.capacity?.storage));
    const f = fraction(claim.metadata.uid ?? key);
    const seconds = Math.max(0, (now - (firstStart.get(key) ?? now)) / 1000);
    const used = Math.floor(
      Math.min(
        capacity * MAX_FILL,
        capacity * (0.02 + 0.1 * f) +
          seconds * GROWTH_BYTES_PER_SECOND * (0.5 + f),
      ),
    );
    const inodes = Math.max(1, Math.floor(capacity / BYTES_PER_INODE));
    const inodesUsed = Math.min(
      inodes,
      Math.floor(used / BYTES_PER_USED_INODE) + 11,
    );
    out.push({
      namespace: claim.metadata.namespace ?? 'default',
      claim: claim.metadata.name,
      pods: mounts,
      capacityBytes: capacity,
      usedBytes: used,
      availableBytes: capacity - used,
      inodes,
      inodesUsed,
      inodesFree: inodes - inodesUsed,
    });
  }
  return out;
}

const FAMILIES: [string, string, (s: VolumeStats) => number][] = [
  [
    'kubelet_volume_stats_available_bytes',
    'Number of available bytes in the volume',
    s => s.availableBytes,
  ],
  [
    'kubelet_volume_stats_capacity_bytes',
    'Capacity in bytes of the volume',
    s => s.capacityBytes,
  ],
  [
    'kubelet_volume_stats_inodes',
    'Maximum number of inodes in the volume',
    s => s.inodes,
  ],
  [
    'kubelet_volume_stats_inodes_free',
    'Number of free inodes in the volume',
    s => s.inodesFree,
  ],
  [
    'kubelet_volume_stats_inodes_used',
    'Number of used inodes in the volume',
    s => s.inodesUsed,
  ],
  [
    'kubelet_volume_stats_used_bytes',
    'Number of used bytes in the volume',
    s => s.usedBytes,
  ],
];

/**
 * The volume families of a kubelet's `/metrics` (text format 0.0.4), labelled
 * `namespace` and `persistentvolumeclaim` as the kubelet labels them. A family with no
 * sample is left out, as the kubelet does.
 */
export function renderVolumeStatsMetrics(stats: VolumeStats[]): string {
  if (stats.length === 0) return '';
  const lines: string[] = [];
  for (const [name, help, value] of FAMILIES) {
    lines.push(`# HELP ${name} [ALPHA] ${help}`, `# TYPE ${name} gauge`);
    for (const s of stats) {
      lines.push(
        `${name}{namespace="${escapeLabelValue(
          s.namespace,
        )}",persistentvolumeclaim="${escapeLabelValue(s.claim)}"} ${value(s)}`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * The kubelet Summary API (`/stats/summary`) of one node, reduced to what the sandbox
 * models: the node's name, its root filesystem (`node.fs`) and image filesystem
 * (`node.runtime.imageFs`), and, per running pod with a claim, its `volume[]` entries
 * with `pvcRef`, bytes and inodes.
 */
export function renderSummary(
  node: string,
  stats: VolumeStats[],
  filesystem: NodeFilesystem,
  now: number,
): unknown {
  const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pods = new Map<
    string,
    { podRef: { name: string; namespace: string; uid: string }; volume: any[] }
  >();
  for (const s of stats) {
    for (const pod of s.pods) {
      const entry = pods.get(pod.uid) ?? {
        podRef: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
        volume: [],
      };
      entry.volume.push({
        time,
        availableBytes: s.availableBytes,
        capacityBytes: s.capacityBytes,
        usedBytes: s.usedBytes,
        inodesFree: s.inodesFree,
        inodes: s.inodes,
        inodesUsed: s.inodesUsed,
        name: pod.volume,
        pvcRef: { name: s.claim, namespace: s.namespace },
      });
      pods.set(pod.uid, entry);
    }
  }
  return {
    node: {
      nodeName: node,
      fs: { time, ...filesystem.fs },
      runtime: { imageFs: { time, ...filesystem.imageFs } },
    },
    pods: [...pods.values()],
  };
}
