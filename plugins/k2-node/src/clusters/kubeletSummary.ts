/**
 * One filesystem in the kubelet Summary API (`FsStats`). The kubelet leaves out
 * what it could not measure, so every figure may be missing.
 */
export interface KubeletFsStats {
  time?: string;
  capacityBytes?: number;
  availableBytes?: number;
  usedBytes?: number;
  inodes?: number;
  inodesFree?: number;
  inodesUsed?: number;
}

/**
 * The part of a node's kubelet Summary API (`/stats/summary`) K2 reads: the node's
 * root filesystem (`fs`) and the container runtime's image filesystem (`imageFs`).
 */
export interface KubeletNodeSummary {
  node: {
    nodeName: string;
    fs?: KubeletFsStats;
    runtime?: { imageFs?: KubeletFsStats };
  };
}
