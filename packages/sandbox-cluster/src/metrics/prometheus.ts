import { KObject, UsageModel, fnv1a, parseQuantity } from './usage';

// Builtins cached in module scope: global lookups (Math, Number, ...) are very
// slow where the module is loaded into a `vm` context, as Jest does, and a
// large cluster renders close to a million samples.
const { floor, round } = Math;
const finite = Number.isFinite;
const isNotANumber = Number.isNaN;
const isArray = Array.isArray;
const entriesOf = Object.entries;
const parseDate = Date.parse;

/** Everything one scrape of the sandbox's `/metrics` renders. */
export interface ScrapeInput {
  /** The cluster's name (not rendered as a label: Prometheus adds target labels). */
  cluster: string;
  pods: KObject[];
  nodes: KObject[];
  deployments: KObject[];
  statefulsets: KObject[];
  replicasets: KObject[];
  hpas: KObject[];
  /** The simulated usage behind the cAdvisor series. */
  usage: UsageModel;
  /** The scrape time, epoch ms. */
  now: number;
  /**
   * Render one node's cAdvisor scrape instead of the cluster's, as the kubelet serves it
   * at `/metrics/cadvisor`: only the pods scheduled on this node, only the `container_*`
   * families, and no `node` label (a kubelet does not add one). The workload and node
   * lists are not read.
   */
  node?: string;
}

type MetricType = 'counter' | 'gauge';

/** Sample lines are joined into chunks of this many, to keep the final join cheap. */
const CHUNK_LINES = 512;

/**
 * One metric family: its HELP and TYPE lines and its samples. Samples are
 * joined into flat chunks as they come: joining hundreds of thousands of
 * freshly concatenated (rope) strings at once is several times slower, and
 * keeps them all alive until the end.
 */
class Family {
  readonly #chunks: string[] = [];
  #pending: string[] = [];

  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly help: string,
  ) {}

  /** Adds a sample; `labels` is the rendered label list without braces. */
  add(labels: string, value: number): void {
    this.#pending.push(`${this.name}{${labels}} ${formatValue(value)}`);
    if (this.#pending.length === CHUNK_LINES) {
      this.#chunks.push(this.#pending.join('\n'));
      this.#pending = [];
    }
  }

  /** The sample chunks (without a trailing newline each). */
  chunks(): string[] {
    if (this.#pending.length > 0) {
      this.#chunks.push(this.#pending.join('\n'));
      this.#pending = [];
    }
    return this.#chunks;
  }
}

class Exposition {
  readonly #families: Family[] = [];

  family(name: string, type: MetricType, help: string): Family {
    const family = new Family(name, type, help);
    this.#families.push(family);
    return family;
  }

  render(): string {
    const out: string[] = [];
    for (const family of this.#families) {
      const chunks = family.chunks();
      if (chunks.length === 0) {
        continue;
      }
      out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
      out.push(`# TYPE ${family.name} ${family.type}`);
      for (const chunk of chunks) {
        out.push(chunk);
      }
    }
    out.push('');
    return out.join('\n');
  }
}

const LABEL_VALUE_SPECIALS = /[\\"\n]/;

/** Escapes a label value per the text exposition format. */
export function escapeLabelValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else {
    text = value === undefined || value === null ? '' : `${value}`;
  }
  if (!LABEL_VALUE_SPECIALS.test(text)) {
    return text;
  }
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const esc = escapeLabelValue;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Formats a sample value so Prometheus parses it. */
function formatValue(value: number): string {
  if (finite(value)) {
    return `${value}`;
  }
  if (isNotANumber(value)) {
    return 'NaN';
  }
  return value > 0 ? '+Inf' : '-Inf';
}

/** Turns a Kubernetes name into a Prometheus label name fragment. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function bool(value: boolean): number {
  return value ? 1 : 0;
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && finite(value) ? value : fallback;
}

function epochSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string' || text === '') {
    return undefined;
  }
  const ms = parseDate(text);
  return finite(ms) ? floor(ms / 1000) : undefined;
}

/** The `resource` and `unit` labels kube-state-metrics uses for a resource name. */
function resourceLabels(resource: string): string {
  if (resource === 'cpu') {
    return 'resource="cpu",unit="core"';
  }
  const unit =
    resource === 'memory' ||
    resource === 'storage' ||
    resource === 'ephemeral-storage' ||
    resource.startsWith('hugepages-')
      ? 'byte'
      : 'integer';
  return `resource="${esc(sanitizeLabelName(resource))}",unit="${unit}"`;
}

/** Renders `resource`/`unit` samples for a resource list (requests, allocatable, ...). */
function addResources(
  family: Family,
  prefix: string,
  resources: unknown,
): void {
  if (!resources || typeof resources !== 'object') {
    return;
  }
  for (const [resource, raw] of entriesOf(
    resources as Record<string, string | number>,
  )) {
    const value = parseQuantity(raw);
    if (finite(value)) {
      family.add(`${prefix},${resourceLabels(resource)}`, value);
    }
  }
}

interface OwnerRef {
  kind: string;
  name: string;
  controller?: boolean;
}

function addOwners(
  family: Family,
  prefix: string,
  owners: OwnerRef[] | undefined,
): void {
  if (!owners || owners.length === 0) {
    family.add(
      `${prefix},owner_kind="<none>",owner_name="<none>",owner_is_controller="<none>"`,
      1,
    );
    return;
  }
  for (const owner of owners) {
    family.add(
      `${prefix},owner_kind="${esc(owner.kind)}",owner_name="${esc(
        owner.name,
      )}",owner_is_controller="${owner.controller ? 'true' : 'false'}"`,
      1,
    );
  }
}

/** Adds three series (true, false, unknown) with 1 for the given condition status. */
function addConditionStatus(
  family: Family,
  prefix: string,
  status: unknown,
): void {
  const current = typeof status === 'string' ? status.toLowerCase() : 'unknown';
  family.add(`${prefix},status="true"`, bool(current === 'true'));
  family.add(`${prefix},status="false"`, bool(current === 'false'));
  family.add(
    `${prefix},status="unknown"`,
    bool(current !== 'true' && current !== 'false'),
  );
}

const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** The cgroup of a pod, as cAdvisor reports it with the cgroupfs driver. */
function podCgroup(pod: KObject, uid: string): string {
  switch (pod.status?.qosClass) {
    case 'Guaranteed':
      return `/kubepods/pod${uid}`;
    case 'BestEffort':
      return `/kubepods/besteffort/pod${uid}`;
    default:
      return `/kubepods/burstable/pod${uid}`;
  }
}

/** The runtime's container id (without `containerd://`), or a stable made-up one. */
function containerHash(
  containerId: unknown,
  uid: string,
  container: string,
): string {
  if (typeof containerId === 'string' && containerId !== '') {
    const scheme = containerId.indexOf('://');
    return scheme >= 0 ? containerId.slice(scheme + 3) : containerId;
  }
  const key = `${uid}/${container}`;
  let hex = '';
  for (let i = 0; i < 8; i++) {
    hex += fnv1a(key, 0x811c9dc5 + i * 0x9e3779b9)
      .toString(16)
      .padStart(8, '0');
  }
  return hex;
}

interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  containerID?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    running?: { startedAt?: string };
    waiting?: { reason?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
  lastState?: {
    terminated?: { reason?: string; exitCode?: number };
  };
}

interface ContainerSpec {
  name: string;
  image?: string;
  resources?: { requests?: unknown; limits?: unknown };
}

/** The families of one scrape, in output order. */
function createFamilies(x: Exposition) {
  return {
    // cAdvisor
    cpuUsage: x.family(
      'container_cpu_usage_seconds_total',
      'counter',
      'Cumulative cpu time consumed in seconds.',
    ),
    memoryUsage: x.family(
      'container_memory_usage_bytes',
      'gauge',
      'Current memory usage in bytes, including all memory regardless of when it was accessed',
    ),
    memoryCache: x.family(
      'container_memory_cache',
      'gauge',
      'Number of bytes of page cache memory.',
    ),
    memoryWorkingSet: x.family(
      'container_memory_working_set_bytes',
      'gauge',
      'Current working set in bytes.',
    ),
    memoryRss: x.family(
      'container_memory_rss',
      'gauge',
      'Size of RSS in bytes.',
    ),
    memoryLimit: x.family(
      'container_spec_memory_limit_bytes',
      'gauge',
      'Memory limit for the container.',
    ),
    cpuQuota: x.family(
      'container_spec_cpu_quota',
      'gauge',
      'CPU quota of the container.',
    ),
    cpuPeriod: x.family(
      'container_spec_cpu_period',
      'gauge',
      'CPU period of the container.',
    ),
    // kube-state-metrics: pods
    podInfo: x.family('kube_pod_info', 'gauge', 'Information about pod.'),
    podPhase: x.family(
      'kube_pod_status_phase',
      'gauge',
      'The pods current phase.',
    ),
    podReady: x.family(
      'kube_pod_status_ready',
      'gauge',
      'Describes whether the pod is ready to serve requests.',
    ),
    podOwner: x.family(
      'kube_pod_owner',
      'gauge',
      "Information about the Pod's owner.",
    ),
    podStartTime: x.family(
      'kube_pod_start_time',
      'gauge',
      'Start time in unix timestamp for a pod.',
    ),
    podDeletion: x.family(
      'kube_pod_deletion_timestamp',
      'gauge',
      'Unix deletion timestamp',
    ),
    containerInfo: x.family(
      'kube_pod_container_info',
      'gauge',
      'Information about a container in a pod.',
    ),
    containerReady: x.family(
      'kube_pod_container_status_ready',
      'gauge',
      'Describes whether the containers readiness check succeeded.',
    ),
    containerRunning: x.family(
      'kube_pod_container_status_running',
      'gauge',
      'Describes whether the container is currently in running state.',
    ),
    containerWaiting: x.family(
      'kube_pod_container_status_waiting',
      'gauge',
      'Describes whether the container is currently in waiting state.',
    ),
    containerTerminated: x.family(
      'kube_pod_container_status_terminated',
      'gauge',
      'Describes whether the container is currently in terminated state.',
    ),
    containerRestarts: x.family(
      'kube_pod_container_status_restarts_total',
      'counter',
      'The number of container restarts per container.',
    ),
    containerWaitingReason: x.family(
      'kube_pod_container_status_waiting_reason',
      'gauge',
      'Describes the reason the container is currently in waiting state.',
    ),
    containerLastTerminatedReason: x.family(
      'kube_pod_container_status_last_terminated_reason',
      'gauge',
      'Describes the last reason the container was in terminated state.',
    ),
    containerLastTerminatedExitCode: x.family(
      'kube_pod_container_status_last_terminated_exitcode',
      'gauge',
      'Describes the exit code for the last container in terminated state.',
    ),
    containerRequests: x.family(
      'kube_pod_container_resource_requests',
      'gauge',
      'The number of requested request resource by a container.',
    ),
    containerLimits: x.family(
      'kube_pod_container_resource_limits',
      'gauge',
      'The number of requested limit resource by a container.',
    ),
    // kube-state-metrics: deployments
    deploymentSpecReplicas: x.family(
      'kube_deployment_spec_replicas',
      'gauge',
      'Number of desired pods for a deployment.',
    ),
    deploymentReplicas: x.family(
      'kube_deployment_status_replicas',
      'gauge',
      'The number of replicas per deployment.',
    ),
    deploymentAvailable: x.family(
      'kube_deployment_status_replicas_available',
      'gauge',
      'The number of available replicas per deployment.',
    ),
    deploymentUnavailable: x.family(
      'kube_deployment_status_replicas_unavailable',
      'gauge',
      'The number of unavailable replicas per deployment.',
    ),
    deploymentUpdated: x.family(
      'kube_deployment_status_replicas_updated',
      'gauge',
      'The number of updated replicas per deployment.',
    ),
    deploymentReady: x.family(
      'kube_deployment_status_replicas_ready',
      'gauge',
      'The number of ready replicas per deployment.',
    ),
    deploymentObservedGeneration: x.family(
      'kube_deployment_status_observed_generation',
      'gauge',
      'The generation observed by the deployment controller.',
    ),
    deploymentGeneration: x.family(
      'kube_deployment_metadata_generation',
      'gauge',
      'Sequence number representing a specific generation of the desired state.',
    ),
    deploymentLabels: x.family(
      'kube_deployment_labels',
      'gauge',
      'Kubernetes labels converted to Prometheus labels.',
    ),
    // kube-state-metrics: replicasets
    replicasetOwner: x.family(
      'kube_replicaset_owner',
      'gauge',
      "Information about the ReplicaSet's owner.",
    ),
    // kube-state-metrics: statefulsets
    statefulsetReplicas: x.family(
      'kube_statefulset_replicas',
      'gauge',
      'Number of desired pods for a StatefulSet.',
    ),
    statefulsetReady: x.family(
      'kube_statefulset_status_replicas_ready',
      'gauge',
      'The number of ready replicas per StatefulSet.',
    ),
    statefulsetCurrent: x.family(
      'kube_statefulset_status_replicas_current',
      'gauge',
      'The number of current replicas per StatefulSet.',
    ),
    statefulsetUpdated: x.family(
      'kube_statefulset_status_replicas_updated',
      'gauge',
      'The number of updated replicas per StatefulSet.',
    ),
    // kube-state-metrics: horizontal pod autoscalers
    hpaMin: x.family(
      'kube_horizontalpodautoscaler_spec_min_replicas',
      'gauge',
      'Lower limit for the number of pods that can be set by the autoscaler, default 1.',
    ),
    hpaMax: x.family(
      'kube_horizontalpodautoscaler_spec_max_replicas',
      'gauge',
      'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.',
    ),
    hpaCurrent: x.family(
      'kube_horizontalpodautoscaler_status_current_replicas',
      'gauge',
      'Current number of replicas of pods managed by this autoscaler.',
    ),
    hpaDesired: x.family(
      'kube_horizontalpodautoscaler_status_desired_replicas',
      'gauge',
      'Desired number of replicas of pods managed by this autoscaler.',
    ),
    // kube-state-metrics: nodes
    nodeInfo: x.family(
      'kube_node_info',
      'gauge',
      'Information about a cluster node.',
    ),
    nodeCondition: x.family(
      'kube_node_status_condition',
      'gauge',
      'The condition of a cluster node.',
    ),
    nodeAllocatable: x.family(
      'kube_node_status_allocatable',
      'gauge',
      'The allocatable for different resources of a node that are available for scheduling.',
    ),
    nodeCapacity: x.family(
      'kube_node_status_capacity',
      'gauge',
      'The capacity for different resources of a node.',
    ),
    nodeUnschedulable: x.family(
      'kube_node_spec_unschedulable',
      'gauge',
      'Whether a node can schedule new pods.',
    ),
  };
}

type Families = ReturnType<typeof createFamilies>;

/**
 * The cAdvisor series of a pod's running containers (and the pod-level cgroup), if the
 * pod is running. `nodeSuffix` is `,node="..."` in the cluster-wide scrape, empty in a
 * node's own.
 */
function renderContainers(
  f: Families,
  pod: KObject,
  usage: UsageModel,
  now: number,
  nodeSuffix: string,
): void {
  if (pod.status?.phase !== 'Running') {
    return;
  }
  const meta = pod.metadata;
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const namespace = meta.namespace ?? 'default';
  const uid = meta.uid ?? '';
  const nsPod = `namespace="${esc(namespace)}",pod="${esc(meta.name)}"`;
  const containers: ContainerSpec[] = isArray(spec.containers)
    ? spec.containers
    : [];
  const statuses: ContainerStatus[] = isArray(status.containerStatuses)
    ? status.containerStatuses
    : [];
  const cgroup = podCgroup(pod, uid);
  let podCpu = 0;
  let podWorkingSet = 0;
  let podMemory = 0;
  for (const container of containers) {
    const name = container.name;
    const cs = statuses.find(s => s.name === name);
    if (cs && !cs.state?.running) {
      continue;
    }
    const cpuTotal = usage.cpuSecondsTotal(pod, name, now);
    const u = usage.containerUsage(pod, name, now);
    podCpu += cpuTotal;
    podWorkingSet += u.memoryWorkingSetBytes;
    podMemory += u.memoryUsageBytes;
    const image = cs?.image || container.image || '';
    const labels = `${nsPod},container="${esc(name)}",image="${esc(
      image,
    )}",name="k8s_${esc(name)}_${esc(meta.name)}_${esc(namespace)}_${esc(
      uid,
    )}_${num(cs?.restartCount)}",id="${esc(cgroup)}/${esc(
      containerHash(cs?.containerID, uid, name),
    )}"${nodeSuffix}`;
    f.cpuUsage.add(labels, cpuTotal);
    f.memoryUsage.add(labels, u.memoryUsageBytes);
    f.memoryCache.add(labels, u.memoryCacheBytes);
    f.memoryWorkingSet.add(labels, u.memoryWorkingSetBytes);
    f.memoryRss.add(labels, u.memoryRssBytes);
    const limits = (container.resources?.limits ?? {}) as Record<
      string,
      string | number
    >;
    const memoryLimit = parseQuantity(limits.memory);
    f.memoryLimit.add(labels, finite(memoryLimit) ? memoryLimit : 0);
    const cpuLimit = parseQuantity(limits.cpu);
    if (finite(cpuLimit)) {
      f.cpuQuota.add(labels, round(cpuLimit * 100000));
    }
    f.cpuPeriod.add(labels, 100000);
  }
  const podLevel = `${nsPod},container="",image="",name="",id="${esc(
    cgroup,
  )}"${nodeSuffix}`;
  f.cpuUsage.add(podLevel, podCpu);
  f.memoryUsage.add(podLevel, podMemory);
  f.memoryWorkingSet.add(podLevel, podWorkingSet);
}

function renderPod(
  f: Families,
  pod: KObject,
  usage: UsageModel,
  now: number,
): void {
  const meta = pod.metadata;
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const namespace = meta.namespace ?? 'default';
  const uid = meta.uid ?? '';
  const node: string = typeof spec.nodeName === 'string' ? spec.nodeName : '';
  const phase: unknown = status.phase;
  const nsPod = `namespace="${esc(namespace)}",pod="${esc(meta.name)}"`;
  const podLabels = `${nsPod},uid="${esc(uid)}"`;
  const nodeLabel = `node="${esc(node)}"`;

  const containers: ContainerSpec[] = isArray(spec.containers)
    ? spec.containers
    : [];
  const statuses: ContainerStatus[] = isArray(status.containerStatuses)
    ? status.containerStatuses
    : [];

  // cAdvisor, for the running containers of running pods.
  renderContainers(f, pod, usage, now, `,${nodeLabel}`);

  // kube-state-metrics
  const owners = meta.ownerReferences;
  const controller = owners?.find(o => o.controller);
  f.podInfo.add(
    `${podLabels},host_ip="${esc(status.hostIP)}",pod_ip="${esc(
      status.podIP,
    )}",${nodeLabel},created_by_kind="${esc(
      controller?.kind ?? '<none>',
    )}",created_by_name="${esc(
      controller?.name ?? '<none>',
    )}",priority_class="${esc(spec.priorityClassName)}"`,
    1,
  );
  if (typeof phase === 'string' && phase !== '') {
    for (const p of POD_PHASES) {
      f.podPhase.add(`${podLabels},phase="${p}"`, bool(p === phase));
    }
  }
  const conditions: { type?: string; status?: string }[] = isArray(
    status.conditions,
  )
    ? status.conditions
    : [];
  const ready = conditions.find(c => c?.type === 'Ready');
  if (ready) {
    const current = `${ready.status ?? ''}`.toLowerCase();
    f.podReady.add(`${podLabels},condition="true"`, bool(current === 'true'));
    f.podReady.add(`${podLabels},condition="false"`, bool(current === 'false'));
    f.podReady.add(
      `${podLabels},condition="unknown"`,
      bool(current !== 'true' && current !== 'false'),
    );
  }
  addOwners(f.podOwner, podLabels, owners);
  const started = epochSeconds(status.startTime);
  if (started !== undefined) {
    f.podStartTime.add(podLabels, started);
  }
  const deleted = epochSeconds(meta.deletionTimestamp);
  if (deleted !== undefined) {
    f.podDeletion.add(podLabels, deleted);
  }

  for (const cs of statuses) {
    if (!cs || typeof cs.name !== 'string') {
      continue;
    }
    const labels = `${podLabels},container="${esc(cs.name)}"`;
    f.containerInfo.add(
      `${labels},image="${esc(cs.image)}",image_id="${esc(
        cs.imageID,
      )}",container_id="${esc(cs.containerID)}"`,
      1,
    );
    const state = cs.state ?? {};
    f.containerReady.add(labels, bool(cs.ready === true));
    f.containerRunning.add(labels, bool(!!state.running));
    f.containerWaiting.add(labels, bool(!!state.waiting));
    f.containerTerminated.add(labels, bool(!!state.terminated));
    f.containerRestarts.add(labels, num(cs.restartCount));
    if (state.waiting?.reason) {
      f.containerWaitingReason.add(
        `${labels},reason="${esc(state.waiting.reason)}"`,
        1,
      );
    }
    const last = cs.lastState?.terminated;
    if (last) {
      if (last.reason) {
        f.containerLastTerminatedReason.add(
          `${labels},reason="${esc(last.reason)}"`,
          1,
        );
      }
      f.containerLastTerminatedExitCode.add(labels, num(last.exitCode));
    }
  }

  for (const container of containers) {
    const labels = `${podLabels},container="${esc(
      container.name,
    )}",${nodeLabel}`;
    addResources(f.containerRequests, labels, container.resources?.requests);
    addResources(f.containerLimits, labels, container.resources?.limits);
  }
}

function renderDeployment(f: Families, deployment: KObject): void {
  const meta = deployment.metadata;
  const spec = deployment.spec ?? {};
  const status = deployment.status ?? {};
  const labels = `namespace="${esc(
    meta.namespace ?? 'default',
  )}",deployment="${esc(meta.name)}"`;
  f.deploymentSpecReplicas.add(labels, num(spec.replicas, 1));
  f.deploymentReplicas.add(labels, num(status.replicas));
  f.deploymentAvailable.add(labels, num(status.availableReplicas));
  f.deploymentUnavailable.add(labels, num(status.unavailableReplicas));
  f.deploymentUpdated.add(labels, num(status.updatedReplicas));
  f.deploymentReady.add(labels, num(status.readyReplicas));
  f.deploymentObservedGeneration.add(labels, num(status.observedGeneration));
  f.deploymentGeneration.add(labels, num(meta.generation));
  f.deploymentLabels.add(`${labels}${kubeLabelsToPrometheus(meta.labels)}`, 1);
}

/**
 * Kubernetes labels as `,label_<name>="value"` pairs, sorted, with names
 * sanitized; names that collide after sanitizing get `_conflict<N>` suffixes.
 */
function kubeLabelsToPrometheus(
  labels: Record<string, string> | undefined,
): string {
  if (!labels) {
    return '';
  }
  const keys = Object.keys(labels).sort();
  const used = new Map<string, number>();
  const parts: string[] = [];
  for (const key of keys) {
    let name = `label_${sanitizeLabelName(key)}`;
    const seen = used.get(name) ?? 0;
    used.set(name, seen + 1);
    if (seen > 0) {
      name = `${name}_conflict${seen}`;
    }
    parts.push(`,${name}="${esc(labels[key])}"`);
  }
  return parts.join('');
}

function renderNode(f: Families, node: KObject): void {
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  const nodeLabel = `node="${esc(node.metadata.name)}"`;
  const addresses: { type?: string; address?: string }[] = isArray(
    status.addresses,
  )
    ? status.addresses
    : [];
  const internalIp = addresses.find(a => a?.type === 'InternalIP')?.address;
  f.nodeInfo.add(
    `${nodeLabel},kubelet_version="${esc(
      status.nodeInfo?.kubeletVersion,
    )}",internal_ip="${esc(internalIp)}"`,
    1,
  );
  const conditions: { type?: string; status?: string }[] = isArray(
    status.conditions,
  )
    ? status.conditions
    : [];
  for (const condition of conditions) {
    if (!condition?.type) {
      continue;
    }
    addConditionStatus(
      f.nodeCondition,
      `${nodeLabel},condition="${esc(condition.type)}"`,
      condition.status,
    );
  }
  addResources(f.nodeAllocatable, nodeLabel, status.allocatable);
  addResources(f.nodeCapacity, nodeLabel, status.capacity);
  f.nodeUnschedulable.add(nodeLabel, bool(spec.unschedulable === true));
}

/**
 * Renders the sandbox's state as a Prometheus scrape (text exposition format
 * 0.0.4) with the cAdvisor and kube-state-metrics series a real cluster's
 * Prometheus would collect: each family once with `# HELP` and `# TYPE`, label
 * sets as the real exporters have them (no `cluster` label). With `node`, one node's
 * cAdvisor scrape instead (see {@link ScrapeInput.node}).
 */
export function renderMetrics(input: ScrapeInput): string {
  const exposition = new Exposition();
  const f = createFamilies(exposition);
  const { usage, now } = input;

  if (input.node !== undefined) {
    for (const pod of input.pods) {
      if (pod.spec?.nodeName === input.node) {
        renderContainers(f, pod, usage, now, '');
      }
    }
    return exposition.render();
  }
  for (const pod of input.pods) {
    renderPod(f, pod, usage, now);
  }
  for (const deployment of input.deployments) {
    renderDeployment(f, deployment);
  }
  for (const replicaset of input.replicasets) {
    addOwners(
      f.replicasetOwner,
      `namespace="${esc(
        replicaset.metadata.namespace ?? 'default',
      )}",replicaset="${esc(replicaset.metadata.name)}"`,
      replicaset.metadata.ownerReferences,
    );
  }
  for (const statefulset of input.statefulsets) {
    const labels = `namespace="${esc(
      statefulset.metadata.namespace ?? 'default',
    )}",statefulset="${esc(statefulset.metadata.name)}"`;
    const status = statefulset.status ?? {};
    f.statefulsetReplicas.add(labels, num(statefulset.spec?.replicas, 1));
    f.statefulsetReady.add(labels, num(status.readyReplicas));
    f.statefulsetCurrent.add(labels, num(status.currentReplicas));
    f.statefulsetUpdated.add(labels, num(status.updatedReplicas));
  }
  for (const hpa of input.hpas) {
    const labels = `namespace="${esc(
      hpa.metadata.namespace ?? 'default',
    )}",horizontalpodautoscaler="${esc(hpa.metadata.name)}"`;
    const status = hpa.status ?? {};
    f.hpaMin.add(labels, num(hpa.spec?.minReplicas, 1));
    f.hpaMax.add(labels, num(hpa.spec?.maxReplicas));
    f.hpaCurrent.add(labels, num(status.currentReplicas));
    f.hpaDesired.add(labels, num(status.desiredReplicas));
  }
  for (const node of input.nodes) {
    renderNode(f, node);
  }
  return exposition.render();
}
