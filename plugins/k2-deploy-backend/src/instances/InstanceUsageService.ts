import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import {
  K2InstanceUsage,
  k2ServiceRuntimeReadPermission,
  parseCpuMillicores,
  parseMemoryBytes,
} from '@internal/plugin-k2-common';
import {
  Caller,
  K2ActionGate,
  K2ClusterAccess,
  K2InstanceAddress,
  K2ServiceResolver,
} from '@internal/plugin-k2-node';
import { podSamples } from './cadvisor';
import { readInstance } from './reads';

/**
 * CPU is a rate between two scrapes: the current one and the previous one kept for
 * this pod, if that is at least `CPU_MIN_INTERVAL_MS` and at most `CPU_WINDOW_MS` old.
 */
const CPU_MIN_INTERVAL_MS = 1000;
const CPU_WINDOW_MS = 5 * 60_000;

/** CPU counters of one scrape, per container. */
interface CpuSample {
  at: number;
  seconds: Map<string, number>;
}

/**
 * CPU and memory of one instance from its node's cAdvisor, through the API server's
 * node proxy: one scrape per request, never a wait. Memory is usage minus page cache.
 * CPU is the counter's rate since the scrape kept from this pod's previous view (at
 * least `CPU_MIN_INTERVAL_MS` and at most `CPU_WINDOW_MS` earlier): the first view of a
 * pod reports CPU as not yet measured (absent), and a view sooner than the minimum
 * interval repeats the rate last measured. Samples of pods nobody viewed within the
 * window are forgotten. The runtime read permission is checked before the instance is
 * looked up, so a refused reader cannot learn which instances exist.
 */
export class InstanceUsageService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  /** Per pod (`cluster/uid`): the scrape rates are measured from, and the last rates. */
  readonly #cpu = new Map<
    string,
    { sample: CpuSample; millicores?: Map<string, number> }
  >();

  constructor(options: {
    resolver: K2ServiceResolver;
    gate: K2ActionGate;
    access: K2ClusterAccess;
  }) {
    this.#resolver = options.resolver;
    this.#gate = options.gate;
    this.#access = options.access;
  }

  /** The instance's usage now, per container, with its limits. */
  async read(
    ref: CompoundEntityRef,
    address: K2InstanceAddress,
    caller: Caller,
  ): Promise<K2InstanceUsage> {
    const { pod } = await readInstance(
      { resolver: this.#resolver, gate: this.#gate },
      ref,
      address,
      caller,
      {
        permission: k2ServiceRuntimeReadPermission,
        verb: 'read the usage of',
      },
    );
    const node = pod.spec?.nodeName;
    if (!node) {
      throw new ConflictError(`Instance '${address.pod}' is not on a node yet`);
    }
    const key = `${address.cluster}/${pod.metadata.uid}`;
    const at = Date.now();
    const samples = podSamples(
      await this.#access.getText(
        address.cluster,
        `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`,
      ),
      pod.metadata.namespace!,
      pod.metadata.name,
    );
    const millicores = this.#cpuRates(key, {
      at,
      seconds: cpuCounters(samples),
    });
    const spec: Array<{
      name: string;
      resources?: { limits?: { cpu?: string; memory?: string } };
    }> = pod.spec?.containers ?? [];
    return {
      cluster: address.cluster,
      pod: address.pod,
      sampledAt: new Date(at).toISOString(),
      containers: samples.map(s => {
        const limits = spec.find(c => c.name === s.container)?.resources
          ?.limits;
        return {
          container: s.container,
          cpuMillicores: millicores?.get(s.container),
          memoryBytes: Math.max(0, (s.memoryUsage ?? 0) - (s.memoryCache ?? 0)),
          memoryLimitBytes: limits?.memory
            ? parseMemoryBytes(limits.memory)
            : undefined,
          cpuLimitMillicores: limits?.cpu
            ? parseCpuMillicores(limits.cpu)
            : undefined,
        };
      }),
    };
  }

  /**
   * Rates per container from the kept scrape to `current`, keeping `current` for the
   * next view; undefined when there is nothing to measure against yet.
   */
  #cpuRates(key: string, current: CpuSample): Map<string, number> | undefined {
    const kept = this.#cpu.get(key);
    const age = kept ? current.at - kept.sample.at : Infinity;
    if (kept && age >= 0 && age < CPU_MIN_INTERVAL_MS) {
      // Too close to the kept scrape for a rate: repeat the last one measured.
      return kept.millicores;
    }
    let millicores: Map<string, number> | undefined;
    if (kept && age <= CPU_WINDOW_MS) {
      millicores = new Map();
      for (const [container, seconds] of current.seconds) {
        const before = kept.sample.seconds.get(container);
        // A counter that went down belongs to a restarted container: no rate.
        if (before !== undefined && seconds >= before) {
          millicores.set(
            container,
            Math.round(((seconds - before) / (age / 1000)) * 1000),
          );
        }
      }
    }
    this.#cpu.set(key, { sample: current, millicores });
    // Forget pods nobody looked at within the window.
    for (const [k, v] of this.#cpu) {
      if (current.at - v.sample.at > CPU_WINDOW_MS) this.#cpu.delete(k);
    }
    return millicores;
  }
}

function cpuCounters(
  samples: Array<{ container: string; cpuSeconds?: number }>,
) {
  return new Map(
    samples
      .filter(s => s.cpuSeconds !== undefined)
      .map(s => [s.container, s.cpuSeconds!]),
  );
}
