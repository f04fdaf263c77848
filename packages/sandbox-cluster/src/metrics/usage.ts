/**
 * A Kubernetes object as plain JSON, as far as the metrics simulation needs it.
 */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }[];
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
  };
  spec?: any;
  status?: any;
}

// Builtins cached in module scope: this code runs per container on every
// scrape, and global lookups (Math, Number, ...) are very slow where the module
// is loaded into a `vm` context, as Jest does.
const { imul, sin, round, max, min, PI } = Math;
const finite = Number.isFinite;
const toNumber = Number;
const isArray = Array.isArray;
const parseDate = Date.parse;
const NOT_A_NUMBER = Number.NaN;

/** Pod annotation: simulated CPU usage of the pod, as a quantity ("250m"). */
export const CPU_USAGE_ANNOTATION = 'sandbox.k2.io/cpu-usage';
/** Pod annotation: simulated memory usage of the pod, as a quantity ("300Mi"). */
export const MEMORY_USAGE_ANNOTATION = 'sandbox.k2.io/memory-usage';
/** Pod annotation: a failure mode; `oom-killed` makes memory grow to the limit. */
export const FAILURE_ANNOTATION = 'sandbox.k2.io/failure';
/** Pod annotation: seconds after a run's start at which memory reaches the limit (default 30). */
export const OOM_AFTER_ANNOTATION = 'sandbox.k2.io/oom-after-seconds';

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_MULTIPLIERS: Record<string, number> = {
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const DECIMAL_DIVISORS: Record<string, number> = { n: 1e9, u: 1e6, m: 1e3 };

const QUANTITY_PATTERN =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** Quantities repeat a lot across a cluster's pods ("100m", "128Mi"). */
const quantityCache = new Map<string, number>();
const QUANTITY_CACHE_SIZE = 4096;

/**
 * Parses a Kubernetes resource quantity into a plain number: `"500m"` is 0.5,
 * `"1Gi"` is 1073741824, `"100M"` is 1e8, `"1e3"` is 1000. Numbers are returned
 * unchanged; anything unparseable (including `undefined`) gives `NaN`.
 */
export function parseQuantity(text: string | number | undefined): number {
  if (typeof text === 'number') {
    return text;
  }
  if (typeof text !== 'string') {
    return NOT_A_NUMBER;
  }
  let value = quantityCache.get(text);
  if (value === undefined) {
    value = parseQuantityText(text);
    if (quantityCache.size >= QUANTITY_CACHE_SIZE) {
      quantityCache.clear();
    }
    quantityCache.set(text, value);
  }
  return value;
}

function parseQuantityText(text: string): number {
  const match = QUANTITY_PATTERN.exec(text.trim());
  if (!match) {
    return NOT_A_NUMBER;
  }
  const value = toNumber(match[1]);
  const suffix = match[2];
  if (!suffix) {
    return value;
  }
  if (suffix in BINARY_SUFFIXES) {
    return value * BINARY_SUFFIXES[suffix];
  }
  if (suffix in DECIMAL_DIVISORS) {
    return value / DECIMAL_DIVISORS[suffix];
  }
  return value * DECIMAL_MULTIPLIERS[suffix];
}

/** A steered usage for all pods of a workload. Each pod uses this much in total. */
export interface UsageSteer {
  /** CPU usage of each pod, in cores. */
  cpu?: number;
  /** Memory usage of each pod, in bytes. */
  memory?: number;
}

/** The simulated usage of one container at one moment. */
export interface ContainerUsage {
  /** CPU usage rate, in cores. */
  cpuCores: number;
  /** Total memory usage (cAdvisor `container_memory_usage_bytes`), in bytes. */
  memoryUsageBytes: number;
  /** Page cache (`container_memory_cache`), in bytes. */
  memoryCacheBytes: number;
  /** Working set (`container_memory_working_set_bytes`), in bytes. */
  memoryWorkingSetBytes: number;
  /** Resident set size (`container_memory_rss`), in bytes. */
  memoryRssBytes: number;
}

const MI = 2 ** 20;
const DEFAULT_CPU_CORES = 0.05;
const DEFAULT_CPU_FRACTION_OF_REQUEST = 0.15;
const DEFAULT_MEMORY_BYTES = 128 * MI;
const DEFAULT_MEMORY_FRACTION_OF_LIMIT = 0.45;
/** The limit an OOM-failing container grows towards when it has none. */
const OOM_FALLBACK_LIMIT_BYTES = 256 * MI;
const DEFAULT_OOM_AFTER_SECONDS = 30;
const CACHE_FRACTION = 0.2;
const WAVE_PERIOD_MS = 10 * 60 * 1000;

/** Variation amplitudes: free-running usage, and steered / annotated usage. */
const FREE_JITTER = 0.1;
const FREE_WAVE = 0.05;
const STEERED_JITTER = 0.01;
const STEERED_WAVE = 0.01;

const ZERO_USAGE: ContainerUsage = {
  cpuCores: 0,
  memoryUsageBytes: 0,
  memoryCacheBytes: 0,
  memoryWorkingSetBytes: 0,
  memoryRssBytes: 0,
};

/** 32-bit FNV-1a hash of a string. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Maps a hash to [-1, 1). */
function unit(hash: number): number {
  return (hash / 0x100000000) * 2 - 1;
}

interface ContainerSpecLike {
  name?: string;
  image?: string;
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
}

interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
}

function containersOf(pod: KObject): ContainerSpecLike[] {
  const containers = pod.spec?.containers;
  return isArray(containers) ? containers : [];
}

function statusOf(
  pod: KObject,
  containerName: string,
): ContainerStatusLike | undefined {
  const statuses = pod.status?.containerStatuses;
  if (!isArray(statuses)) {
    return undefined;
  }
  return statuses.find((s: ContainerStatusLike) => s?.name === containerName);
}

function resourceOf(
  container: ContainerSpecLike,
  kind: 'requests' | 'limits',
  resource: 'cpu' | 'memory',
): number | undefined {
  const value = parseQuantity(container.resources?.[kind]?.[resource]);
  return finite(value) && value >= 0 ? value : undefined;
}

/** The CPU request, defaulted to the limit as Kubernetes does. */
function cpuRequestOf(container: ContainerSpecLike): number | undefined {
  return (
    resourceOf(container, 'requests', 'cpu') ??
    resourceOf(container, 'limits', 'cpu')
  );
}

function memoryLimitOf(container: ContainerSpecLike): number | undefined {
  return resourceOf(container, 'limits', 'memory');
}

function annotationQuantity(pod: KObject, key: string): number | undefined {
  const raw = pod.metadata.annotations?.[key];
  if (raw === undefined) {
    return undefined;
  }
  const value = parseQuantity(raw);
  return finite(value) && value >= 0 ? value : undefined;
}

function parseTime(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') {
    return undefined;
  }
  const ms = parseDate(text);
  return finite(ms) ? ms : undefined;
}

/** The tag of an image reference ("" when it has none). */
function imageTag(image: string | undefined): string {
  if (!image) {
    return '';
  }
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > lastSlash ? withoutDigest.slice(lastColon + 1) : '';
}

/**
 * Splits a per-pod amount over the pod's containers: in proportion to `weightOf`
 * when every container has a positive weight, evenly otherwise.
 */
function shareOf(
  containers: ContainerSpecLike[],
  index: number,
  weightOf: (container: ContainerSpecLike) => number | undefined,
): number {
  if (containers.length <= 1) {
    return 1;
  }
  let total = 0;
  for (const container of containers) {
    const weight = weightOf(container);
    if (weight === undefined || !(weight > 0)) {
      return 1 / containers.length;
    }
    total += weight;
  }
  return (weightOf(containers[index]) as number) / total;
}

interface RunState {
  startedAt: string;
  lastNow: number;
  total: number;
}

/**
 * Simulated resource usage of the sandbox's pods. Usage is deterministic for a
 * given pod, container and time; it can be steered per workload or per pod
 * (annotations), and the CPU counter is integrated lazily per container run.
 */
export class UsageModel {
  readonly #steers = new Map<
    string,
    { namespace: string; workload: string; usage: UsageSteer }
  >();
  /** pod key (uid) -> container name -> current run. */
  readonly #runs = new Map<string, Map<string, RunState>>();

  /**
   * Steers all pods of a workload: each pod of `namespace`/`workload` uses the
   * given CPU cores and/or memory bytes in total, split over its containers
   * (by requests / limits when all containers have them, evenly otherwise).
   * The workload is the Deployment name (for ReplicaSet-owned pods), the
   * StatefulSet / DaemonSet / Job name, or the pod name for bare pods; see
   * {@link UsageModel.workloadOf}. Passing `undefined` clears the steer.
   */
  steer(
    namespace: string,
    workload: string,
    usage: UsageSteer | undefined,
  ): void {
    const key = `${namespace}/${workload}`;
    const cpu =
      usage?.cpu !== undefined && finite(usage.cpu)
        ? max(0, usage.cpu)
        : undefined;
    const memory =
      usage?.memory !== undefined && finite(usage.memory)
        ? max(0, usage.memory)
        : undefined;
    if (cpu === undefined && memory === undefined) {
      this.#steers.delete(key);
      return;
    }
    const steered: UsageSteer = {};
    if (cpu !== undefined) {
      steered.cpu = cpu;
    }
    if (memory !== undefined) {
      steered.memory = memory;
    }
    this.#steers.set(key, { namespace, workload, usage: steered });
  }

  /** All current steers. */
  steers(): { namespace: string; workload: string; usage: UsageSteer }[] {
    return [...this.#steers.values()].map(s => ({
      namespace: s.namespace,
      workload: s.workload,
      usage: { ...s.usage },
    }));
  }

  /**
   * The workload name of a pod: the Deployment name for pods owned by a
   * ReplicaSet "<deployment>-<hash>", the owner's name for StatefulSet,
   * DaemonSet, Job (and any other controller), or the pod's own name when it has
   * no owner.
   */
  static workloadOf(pod: KObject): string {
    const owners = pod.metadata.ownerReferences ?? [];
    const owner = owners.find(o => o.controller) ?? owners[0];
    if (!owner) {
      return pod.metadata.name;
    }
    if (owner.kind === 'ReplicaSet') {
      const hash = pod.metadata.labels?.['pod-template-hash'];
      if (hash && owner.name.endsWith(`-${hash}`)) {
        return owner.name.slice(0, owner.name.length - hash.length - 1);
      }
      const dash = owner.name.lastIndexOf('-');
      return dash > 0 ? owner.name.slice(0, dash) : owner.name;
    }
    return owner.name;
  }

  /**
   * The usage of one container of a running pod at time `now` (epoch ms).
   * Containers that are not running (per their status), pods in a phase other
   * than Running, and unknown containers use nothing.
   *
   * Priority: the workload's steer, then the pod annotations
   * `sandbox.k2.io/cpu-usage` / `sandbox.k2.io/memory-usage` (per pod, split
   * over containers), then defaults (15% of the CPU request or 0.05 cores; 45%
   * of the memory limit or 128Mi). The `oom-killed` failure mode (annotation
   * `sandbox.k2.io/failure` or an image tag containing `oomkill`) overrides the
   * memory annotation and default (not a memory steer): memory grows linearly
   * from 50% of the limit at the run's start to 100% after
   * `sandbox.k2.io/oom-after-seconds` (default 30).
   */
  containerUsage(
    pod: KObject,
    containerName: string,
    now: number,
  ): ContainerUsage {
    const phase = pod.status?.phase;
    if (phase !== undefined && phase !== 'Running') {
      return { ...ZERO_USAGE };
    }
    const containers = containersOf(pod);
    const index = containers.findIndex(c => c.name === containerName);
    if (index < 0) {
      return { ...ZERO_USAGE };
    }
    const status = statusOf(pod, containerName);
    if (status && !status.state?.running) {
      return { ...ZERO_USAGE };
    }
    const container = containers[index];
    const namespace = pod.metadata.namespace ?? 'default';
    const steer = this.#steers.get(
      `${namespace}/${UsageModel.workloadOf(pod)}`,
    )?.usage;

    const podKey = pod.metadata.uid ?? `${namespace}/${pod.metadata.name}`;
    const jitterCpu = unit(fnv1a(podKey));
    const jitterMemory = unit(fnv1a(podKey, 0x9e3779b9));
    const phaseShift = ((fnv1a(podKey, 0x7f4a7c15) % 3600) / 3600) * 2 * PI;
    const wave = sin((2 * PI * now) / WAVE_PERIOD_MS + phaseShift);

    // CPU
    let cpu: number;
    let cpuControlled = true;
    const cpuSteer = steer?.cpu;
    const cpuAnnotation = annotationQuantity(pod, CPU_USAGE_ANNOTATION);
    if (cpuSteer !== undefined || cpuAnnotation !== undefined) {
      const perPod = (cpuSteer ?? cpuAnnotation) as number;
      cpu = perPod * shareOf(containers, index, cpuRequestOf);
    } else {
      cpuControlled = false;
      const request = cpuRequestOf(container);
      cpu =
        request !== undefined && request > 0
          ? request * DEFAULT_CPU_FRACTION_OF_REQUEST
          : DEFAULT_CPU_CORES;
    }
    cpu *= cpuControlled
      ? 1 + STEERED_JITTER * jitterCpu + STEERED_WAVE * wave
      : 1 + FREE_JITTER * jitterCpu + FREE_WAVE * wave;

    // Memory
    const memorySteer = steer?.memory;
    let memory: number;
    let cacheFraction = CACHE_FRACTION;
    if (memorySteer !== undefined) {
      memory =
        memorySteer *
        shareOf(containers, index, memoryLimitOf) *
        (1 + STEERED_JITTER * jitterMemory + (STEERED_WAVE / 2) * wave);
    } else if (isOomFailing(pod, container)) {
      const limit = memoryLimitOf(container) || OOM_FALLBACK_LIMIT_BYTES;
      const progress = oomProgress(pod, status, now);
      memory = limit * (0.5 + 0.5 * progress);
      // Under memory pressure the kernel reclaims the page cache first.
      cacheFraction = CACHE_FRACTION * (1 - progress);
    } else {
      const memoryAnnotation = annotationQuantity(pod, MEMORY_USAGE_ANNOTATION);
      if (memoryAnnotation !== undefined) {
        memory =
          memoryAnnotation *
          shareOf(containers, index, memoryLimitOf) *
          (1 + STEERED_JITTER * jitterMemory + (STEERED_WAVE / 2) * wave);
      } else {
        const limit = memoryLimitOf(container);
        memory =
          (limit !== undefined && limit > 0
            ? limit * DEFAULT_MEMORY_FRACTION_OF_LIMIT
            : DEFAULT_MEMORY_BYTES) *
          (1 + FREE_JITTER * jitterMemory + (FREE_WAVE / 2) * wave);
      }
    }

    const usage = max(0, round(memory));
    const cache = round(usage * cacheFraction);
    return {
      cpuCores: max(0, cpu),
      memoryUsageBytes: usage,
      memoryCacheBytes: cache,
      memoryWorkingSetBytes: usage - round(cache / 2),
      memoryRssBytes: usage - cache,
    };
  }

  /**
   * Cumulative CPU seconds of the container's current run at `now` (epoch ms).
   * The counter is integrated lazily per container run (pod uid, container
   * name, `state.running.startedAt`): it never decreases while the run lasts,
   * continues from its value when a steer changes the rate, and starts again
   * from 0 for a new run. A container that is not running keeps its last value.
   */
  cpuSecondsTotal(pod: KObject, containerName: string, now: number): number {
    const podKey =
      pod.metadata.uid ??
      `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    let runs = this.#runs.get(podKey);
    const status = statusOf(pod, containerName);
    let running: { startedAt?: string } | undefined;
    if (status) {
      running = status.state?.running;
    } else if (
      pod.status?.phase === undefined ||
      pod.status.phase === 'Running'
    ) {
      running = {};
    }
    const previous = runs?.get(containerName);
    if (!running) {
      return previous?.total ?? 0;
    }
    const startedAt =
      running.startedAt ??
      (typeof pod.status?.startTime === 'string' ? pod.status.startTime : '');
    if (previous && previous.startedAt === startedAt) {
      if (now > previous.lastNow) {
        const rate = this.containerUsage(pod, containerName, now).cpuCores;
        previous.total += (rate * (now - previous.lastNow)) / 1000;
        previous.lastNow = now;
      }
      return previous.total;
    }
    // A new run: integrate from its start with the current rate.
    const startMs = parseTime(startedAt) ?? now;
    const rate = this.containerUsage(pod, containerName, now).cpuCores;
    const state: RunState = {
      startedAt,
      lastNow: max(now, startMs),
      total: (rate * max(0, now - startMs)) / 1000,
    };
    if (!runs) {
      runs = new Map();
      this.#runs.set(podKey, runs);
    }
    runs.set(containerName, state);
    return state.total;
  }

  /** Forgets the counters of pods whose uid is not in `liveUids`. */
  prune(liveUids: Set<string>): void {
    for (const key of this.#runs.keys()) {
      if (!liveUids.has(key)) {
        this.#runs.delete(key);
      }
    }
  }
}

function isOomFailing(pod: KObject, container: ContainerSpecLike): boolean {
  return (
    pod.metadata.annotations?.[FAILURE_ANNOTATION] === 'oom-killed' ||
    imageTag(container.image).includes('oomkill')
  );
}

/** Progress (0..1) of an OOM-failing container's run towards its limit. */
function oomProgress(
  pod: KObject,
  status: ContainerStatusLike | undefined,
  now: number,
): number {
  const raw = toNumber(pod.metadata.annotations?.[OOM_AFTER_ANNOTATION]);
  const after = finite(raw) && raw > 0 ? raw : DEFAULT_OOM_AFTER_SECONDS;
  const started =
    parseTime(status?.state?.running?.startedAt) ??
    parseTime(pod.status?.startTime) ??
    parseTime(pod.metadata.creationTimestamp);
  if (started === undefined) {
    return 0;
  }
  return min(1, max(0, (now - started) / 1000 / after));
}
