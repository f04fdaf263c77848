import { K2ClusterAccess } from '@internal/plugin-k2-node';

/** Used bytes by `namespace/claim`, from one node's kubelet. */
type NodeUsage = Map<string, number>;

/** How long one node's figures are reused. */
const CACHE_MS = 15_000;
/** How long a kubelet may take before its figures are unknown for this request. */
const TIMEOUT_MS = 2_000;

const USED = 'kubelet_volume_stats_used_bytes{';

/** `kubelet_volume_stats_used_bytes` samples of a kubelet's `/metrics`. */
export function parseUsedBytes(text: string): NodeUsage {
  const out: NodeUsage = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(USED)) continue;
    const close = line.lastIndexOf('}');
    const labels = line.slice(USED.length, close);
    const namespace = /(?:^|,)namespace="([^"]*)"/.exec(labels)?.[1];
    const claim = /(?:^|,)persistentvolumeclaim="([^"]*)"/.exec(labels)?.[1];
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (namespace && claim && Number.isFinite(value))
      out.set(`${namespace}/${claim}`, value);
  }
  return out;
}

/**
 * Used bytes of volumes, from the kubelet of each node where a running pod mounts
 * them (`/api/v1/nodes/{node}/proxy/metrics`, the path Prometheus scrapes): one read
 * per node at most every 15 s, each bounded to 2 s. A node that does not answer in time
 * gives no figure (the volume's usage is unknown), never an error.
 */
export class VolumeUsage {
  readonly #access: K2ClusterAccess;
  readonly #nodes = new Map<string, { at: number; read: Promise<NodeUsage> }>();

  constructor(options: { access: K2ClusterAccess }) {
    this.#access = options.access;
  }

  /** The used bytes of `namespace/claim` as the node reports it, or undefined. */
  async usedBytes(
    cluster: string,
    node: string,
    namespace: string,
    claim: string,
  ): Promise<number | undefined> {
    const usage = await this.#node(cluster, node);
    return usage.get(`${namespace}/${claim}`);
  }

  #node(cluster: string, node: string): Promise<NodeUsage> {
    const key = `${cluster}/${node}`;
    const cached = this.#nodes.get(key);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.read;
    const read = this.#read(cluster, node);
    this.#nodes.set(key, { at: Date.now(), read });
    return read;
  }

  async #read(cluster: string, node: string): Promise<NodeUsage> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>(resolve => {
      timer = setTimeout(() => resolve(undefined), TIMEOUT_MS);
    });
    try {
      const text = await Promise.race([
        this.#access.getText(
          cluster,
          `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics`,
        ),
        timeout,
      ]);
      if (text === undefined) {
        this.#nodes.delete(`${cluster}/${node}`);
        return new Map();
      }
      return parseUsedBytes(text);
    } catch {
      this.#nodes.delete(`${cluster}/${node}`);
      return new Map();
    } finally {
      clearTimeout(timer);
    }
  }
}
