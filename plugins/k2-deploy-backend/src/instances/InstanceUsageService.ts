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
import { setTimeout as sleep } from 'timers/promises';
import { podSamples } from './cadvisor';
import { readInstance } from './reads';

/** CPU is a rate: two scrapes at least this far apart, and no older than the window. */
const CPU_MIN_INTERVAL_MS = 1000;
const CPU_WINDOW_MS = 5 * 60_000;

/**
 * CPU and memory of one instance from its node's cAdvisor, through the API server's
 * node proxy: memory is usage minus page cache; CPU is the counter's rate between two
 * scrapes at least `CPU_MIN_INTERVAL_MS` and at most `CPU_WINDOW_MS` apart. The newest
 * counters per pod are kept (and forgotten after the window), so a repeated view needs
 * one scrape instead of two. The runtime read permission is checked before the
 * instance is looked up, so a refused reader cannot learn which instances exist.
 */
export class InstanceUsageService {
  readonly #resolver: K2ServiceResolver;
  readonly #gate: K2ActionGate;
  readonly #access: K2ClusterAccess;
  /** The newest CPU counters per pod (`cluster/uid`). */
  readonly #cpu = new Map<
    string,
    { at: number; seconds: Map<string, number> }
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
    const scrape = async () => ({
      at: Date.now(),
      samples: podSamples(
        await this.#access.getText(
          address.cluster,
          `/api/v1/nodes/${encodeURIComponent(node)}/proxy/metrics/cadvisor`,
        ),
        pod.metadata.namespace!,
        pod.metadata.name,
      ),
    });
    let previous = this.#cpu.get(key);
    let current = await scrape();
    const age = previous ? current.at - previous.at : Infinity;
    if (age > CPU_WINDOW_MS || age < CPU_MIN_INTERVAL_MS) {
      previous = {
        at: current.at,
        seconds: cpuCounters(current.samples),
      };
      await sleep(CPU_MIN_INTERVAL_MS);
      current = await scrape();
    }
    this.#remember(key, current.at, cpuCounters(current.samples));
    const spec: Array<{
      name: string;
      resources?: { limits?: { cpu?: string; memory?: string } };
    }> = pod.spec?.containers ?? [];
    return {
      cluster: address.cluster,
      pod: address.pod,
      sampledAt: new Date(current.at).toISOString(),
      containers: current.samples.map(s => {
        const limits = spec.find(c => c.name === s.container)?.resources
          ?.limits;
        const before = previous!.seconds.get(s.container);
        const seconds = (current.at - previous!.at) / 1000;
        return {
          container: s.container,
          cpuMillicores:
            s.cpuSeconds !== undefined &&
            before !== undefined &&
            s.cpuSeconds >= before
              ? Math.round(((s.cpuSeconds - before) / seconds) * 1000)
              : undefined,
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

  #remember(key: string, at: number, seconds: Map<string, number>) {
    this.#cpu.set(key, { at, seconds });
    // Forget pods nobody looked at within the window.
    for (const [k, v] of this.#cpu) {
      if (at - v.at > CPU_WINDOW_MS) this.#cpu.delete(k);
    }
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
