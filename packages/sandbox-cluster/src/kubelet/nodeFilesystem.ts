import { createHash } from 'crypto';
import { quantity } from '../api/defaults';
import { KubeObject } from '../api/types';

/** One filesystem as the kubelet Summary API reports it (`FsStats`). */
export interface FsStats {
  capacityBytes: number;
  usedBytes: number;
  availableBytes: number;
  inodes: number;
  inodesUsed: number;
  inodesFree: number;
}

/** A node's root filesystem (`node.fs`) and its image filesystem (`node.runtime.imageFs`). */
export interface NodeFilesystem {
  fs: FsStats;
  imageFs: FsStats;
}

/** What a test set for a node's root filesystem: its used bytes, or its used share. */
export type DiskSteer = { usedBytes: number } | { usedPercent: number };

const GI = 2 ** 30;
const MI = 2 ** 20;
/** The root filesystem when a node states no `ephemeral-storage` capacity. */
const DEFAULT_CAPACITY = 200 * GI;
/** Logs and writable layers of one running pod. */
const BYTES_PER_POD = 64 * MI;
const BYTES_PER_INODE = 16384;
const BYTES_PER_USED_INODE = 65536;

/** A stable number in [0, 1) for a name, so every read agrees. */
function fraction(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
}

function fsStats(capacity: number, used: number): FsStats {
  const inodes = Math.max(1, Math.floor(capacity / BYTES_PER_INODE));
  const inodesUsed = Math.min(
    inodes,
    Math.floor(used / BYTES_PER_USED_INODE) + 1000,
  );
  return {
    capacityBytes: capacity,
    usedBytes: used,
    availableBytes: capacity - used,
    inodes,
    inodesUsed,
    inodesFree: inodes - inodesUsed,
  };
}

/**
 * The simulated disks of a cluster's nodes. Images live on the root filesystem (the
 * kubelet's default layout), so `imageFs` shares its capacity and free bytes and
 * counts only the images in use. Without a steer the root filesystem holds a base of
 * 8-20% of its capacity (per node), 64 MiB per running pod on the node and the
 * images of those pods (100-400 MiB per distinct image); a steer replaces that with
 * a figure a test sets. Used bytes never exceed the capacity. The node's conditions
 * are left alone: `DiskPressure` is set through the node's status, as before.
 */
export class NodeDisks {
  readonly #steers = new Map<string, DiskSteer>();

  /** Sets (or, with undefined, removes) the used space of a node's root filesystem. */
  steer(node: string, steer: DiskSteer | undefined) {
    if (steer) this.#steers.set(node, steer);
    else this.#steers.delete(node);
  }

  steers(): ({ node: string } & DiskSteer)[] {
    return [...this.#steers].map(([node, steer]) => ({ node, ...steer }));
  }

  /** The filesystems of `node`, given the cluster's pods. */
  filesystem(node: KubeObject, pods: KubeObject[]): NodeFilesystem {
    const name = node.metadata.name;
    const stated = quantity(node.status?.capacity?.['ephemeral-storage']);
    const capacity =
      Number.isFinite(stated) && stated > 0
        ? Math.floor(stated)
        : DEFAULT_CAPACITY;
    const images = new Set<string>();
    let running = 0;
    for (const pod of pods) {
      if (pod.spec?.nodeName !== name || pod.status?.phase !== 'Running')
        continue;
      running++;
      for (const container of pod.spec?.containers ?? []) {
        if (container.image) images.add(container.image);
      }
    }
    const imageBytes = [...images].reduce(
      (sum, image) => sum + Math.floor((100 + 300 * fraction(image)) * MI),
      0,
    );
    const steer = this.#steers.get(name);
    let wanted =
      capacity * (0.08 + 0.12 * fraction(name)) +
      running * BYTES_PER_POD +
      imageBytes;
    if (steer && 'usedBytes' in steer) wanted = steer.usedBytes;
    else if (steer) wanted = (capacity * steer.usedPercent) / 100;
    const used = Math.floor(Math.min(capacity, Math.max(0, wanted)));
    const fs = fsStats(capacity, used);
    return {
      fs,
      imageFs: {
        ...fs,
        usedBytes: Math.min(used, imageBytes),
        inodesUsed: Math.min(fs.inodesUsed, images.size * 20_000),
      },
    };
  }
}
