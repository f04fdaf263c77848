import { randomUUID } from 'crypto';
import { nowTimestamp } from './api/defaults';
import { Registry } from './api/registry';
import { RESOURCE_TYPES, ResourceType, apiVersionOf } from './api/resources';
import { ObjectStore, StoreEvent } from './api/store';
import { KubeObject } from './api/types';
import { HpaController } from './controllers/autoscaling';
import { GarbageCollector } from './controllers/garbageCollector';
import { JobController } from './controllers/jobs';
import { EventRecorder, Timers } from './controllers/runtime';
import { ServiceController } from './controllers/services';
import { DisruptionController } from './controllers/disruption';
import { StatefulControllers } from './controllers/statefulSets';
import { StorageController } from './controllers/storage';
import { NodeDisks, NodeFilesystem } from './kubelet/nodeFilesystem';
import { VolumeStats, nodeVolumeStats } from './kubelet/volumeStats';
import { WorkloadControllers } from './controllers/workloads';
import { Kubelet } from './kubelet/kubelet';
import { PodServers } from './kubelet/podServers';
import { renderMetrics } from './metrics/prometheus';
import { ContainerUsage, UsageModel } from './metrics/usage';
import { AdminApi } from './server/adminApi';
import { ApiServer } from './server/apiServer';
import { Faults, RequestCounters } from './server/faults';
import { sandboxCertificate } from './server/tls';

export interface SandboxClusterOptions {
  /** The cluster's name, as the portal's Kubernetes config names it. */
  name: string;
  /** Bearer tokens accepted by the API (the first is the one clients are given). */
  tokens: string[];
  /** Worker nodes to create (default 3), each with `nodeCpu` cores and `nodeMemory`. */
  nodes?: number;
  nodeCpu?: number;
  nodeMemory?: string;
  nodePods?: number;
  /** Multiplies every simulated duration; 1 is real-time-like, tests use less. */
  timeScale?: number;
  /** Scheduling to running containers, ms (before timeScale). Default 1500. */
  podStartMs?: number;
  /** Readiness when a container has no readiness probe, seconds. Default 1. */
  defaultReadySeconds?: number;
  /** Longest graceful termination, ms (before timeScale). Default 2000. */
  podTerminationMs?: number;
  /** Interval of watch BOOKMARK events. Default 15 s. */
  bookmarkIntervalMs?: number;
  /** HPA sync period. Default 15 s. */
  hpaSyncMs?: number;
  /** Changes kept for watches to resume from; older versions get 410 Gone. */
  watchLogSize?: number;
  /** The second octet of pod IPs (10.N.x.y), to tell clusters apart. */
  podNetwork?: number;
  /**
   * Reachable pods: pod IPs are loopback addresses (127.N.x.y) and every ready pod
   * answers HTTP on its container ports with `<pod name> <image>` until it is removed
   * (see `PodServers`). Off by default (benchmarks seed thousands of pods).
   */
  reachablePods?: boolean;
}

type Required<T> = { [K in keyof T]-?: T[K] };

/**
 * One sandbox cluster: the object store, the API semantics, the simulated control plane
 * and kubelets, metrics, fault injection, and its HTTP API server.
 */
export class SandboxCluster {
  readonly options: Required<SandboxClusterOptions>;
  readonly store: ObjectStore;
  readonly registry: Registry;
  readonly faults = new Faults();
  readonly counters = new RequestCounters();
  readonly usage = new UsageModel();
  /** The nodes' simulated disks, steered through `/sandbox/disk`. */
  readonly disks = new NodeDisks();
  readonly kubelet: Kubelet;
  readonly admin: AdminApi;
  private readonly server: ApiServer;
  private readonly timers = new Timers();
  private readonly controllers: { stop(): void }[] = [];
  private port?: number;

  constructor(options: SandboxClusterOptions) {
    this.options = {
      nodes: 3,
      nodeCpu: 16,
      nodeMemory: '64Gi',
      nodePods: 110,
      timeScale: 1,
      podStartMs: 1500,
      defaultReadySeconds: 1,
      podTerminationMs: 2000,
      bookmarkIntervalMs: 15000,
      hpaSyncMs: 15000,
      watchLogSize: 20000,
      podNetwork: 244,
      reachablePods: false,
      ...options,
    } as Required<SandboxClusterOptions>;
    this.store = new ObjectStore(this.options.watchLogSize);
    this.registry = new Registry(this.store);
    const events = new EventRecorder(this.registry, this.type('', 'events'));
    const workloads = new WorkloadControllers(
      this.registry,
      events,
      this.timers,
    );
    const stateful = new StatefulControllers(this.registry, events);
    const jobs = new JobController(
      this.registry,
      events,
      this.timers,
      this.options.timeScale,
    );
    const services = new ServiceController(this.registry);
    const disruption = new DisruptionController(this.registry);
    const storage = new StorageController(
      this.registry,
      events,
      this.timers,
      this.options.timeScale,
    );
    const gc = new GarbageCollector(this.registry);
    this.kubelet = new Kubelet(
      this.registry,
      events,
      this.timers,
      {
        timeScale: this.options.timeScale,
        podStartMs: this.options.podStartMs,
        defaultReadySeconds: this.options.defaultReadySeconds,
        podTerminationMs: this.options.podTerminationMs,
      },
      this.options.podNetwork,
      this.options.reachablePods,
    );
    const all: { onEvent(event: StoreEvent): void; stop(): void }[] = [
      workloads,
      stateful,
      jobs,
      services,
      disruption,
      storage,
      gc,
      this.kubelet,
    ];
    if (this.options.reachablePods) {
      all.push(new PodServers(this.type('', 'pods')));
    }
    this.controllers.push(...all);
    this.store.onChange(event => {
      for (const controller of all) controller.onEvent(event);
    });
    const hpa = new HpaController(
      this.registry,
      events,
      this.usage,
      300000 * this.options.timeScale,
    );
    this.timers.every(this.options.hpaSyncMs, () => hpa.syncAll());
    this.timers.every(60000, () => {
      const live = new Set(
        this.store.list(this.type('', 'pods')).map(p => p.metadata.uid!),
      );
      this.usage.prune(live);
    });
    this.server = new ApiServer(this);
    this.admin = new AdminApi(this, this.server);
    this.bootstrap();
  }

  get name() {
    return this.options.name;
  }

  get tokens() {
    return this.options.tokens;
  }

  /** The API's base URL once listening. */
  get url() {
    if (this.port === undefined)
      throw new Error(`sandbox cluster ${this.name} is not listening`);
    return `http://127.0.0.1:${this.port}`;
  }

  /** The same API over HTTPS (same port), with a certificate {@link SandboxCluster.caData} trusts. */
  get tlsUrl() {
    return this.url.replace('http:', 'https:');
  }

  /**
   * The certificate authority of the HTTPS API, base64-encoded PEM: a kubeconfig's
   * `certificate-authority-data`, or `caData` of a Kubernetes plugin cluster.
   */
  get caData() {
    return Buffer.from(sandboxCertificate().cert).toString('base64');
  }

  type(group: string, resource: string): ResourceType {
    return this.registry.typeOf(group, resource);
  }

  /** Starts serving on the port (0 picks a free one); resolves with the port. */
  async listen(port = 0): Promise<number> {
    this.port = await this.server.listen(port);
    return this.port;
  }

  get listening() {
    return this.server.listening;
  }

  /** Stops serving (state is kept; listen again to resume). */
  async close() {
    await this.server.close();
  }

  /** A full stop of the API for `downMs`, then a restart on the same port. */
  async restart(downMs: number) {
    const port = this.port;
    await this.server.close();
    await new Promise(r => setTimeout(r, downMs));
    await this.listen(port);
  }

  /** Stops everything: the API server, controllers and timers. */
  async stop() {
    await this.server.close();
    this.timers.stop();
    for (const c of this.controllers) c.stop();
  }

  /** Stores an object exactly as given (status included), as seeding does. */
  restore(type: ResourceType, obj: KubeObject): KubeObject {
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    obj.metadata.uid = obj.metadata.uid ?? randomUUID();
    obj.metadata.creationTimestamp =
      obj.metadata.creationTimestamp ?? nowTimestamp();
    if (type.generation) obj.metadata.generation = obj.metadata.generation ?? 1;
    return this.store.put(type, obj);
  }

  private bootstrap() {
    for (const name of [
      'default',
      'kube-system',
      'kube-public',
      'kube-node-lease',
    ]) {
      this.registry.create(this.type('', 'namespaces'), undefined, {
        metadata: { name },
      });
    }
    this.addNodes(this.options.nodes);
    const classes = this.type('storage.k8s.io', 'storageclasses');
    this.registry.create(classes, undefined, {
      metadata: {
        name: 'standard',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'rancher.io/local-path',
      allowVolumeExpansion: false,
      volumeBindingMode: 'Immediate',
    });
    this.registry.create(classes, undefined, {
      metadata: { name: 'nfs' },
      provisioner: 'nfs.csi.k8s.io',
      allowVolumeExpansion: true,
      parameters: { server: 'nfs.storage.internal', share: '/exports' },
    });
    this.registry.create(classes, undefined, {
      metadata: { name: 'cephfs' },
      provisioner: 'cephfs.csi.ceph.com',
      allowVolumeExpansion: true,
      parameters: { fsName: 'cephfs', clusterID: 'sandbox' },
    });
    this.registry.create(classes, undefined, {
      metadata: { name: 'ceph-rbd' },
      provisioner: 'rbd.csi.ceph.com',
      allowVolumeExpansion: true,
      parameters: {
        pool: 'rbd',
        clusterID: 'sandbox',
        'csi.storage.k8s.io/fstype': 'ext4',
      },
    });
  }

  /** Adds worker nodes (seeding large clusters needs more than the default three). */
  addNodes(count: number) {
    const nodes = this.type('', 'nodes');
    const existing = this.store.count(nodes);
    const zones = ['a', 'b', 'c'];
    for (let i = existing + 1; i <= existing + count; i++) {
      const name = `${this.name}-worker-${i}`;
      const capacity = {
        cpu: String(this.options.nodeCpu),
        memory: this.options.nodeMemory,
        pods: String(this.options.nodePods),
        'ephemeral-storage': '200Gi',
      };
      const now = nowTimestamp();
      this.restore(nodes, {
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node.kubernetes.io/instance-type': `sandbox.${this.options.nodeCpu}c`,
            'topology.kubernetes.io/zone': `zone-${zones[i % zones.length]}`,
          },
        },
        spec: { podCIDR: `10.${this.options.podNetwork}.${i}.0/24` },
        status: {
          capacity,
          allocatable: capacity,
          conditions: [
            [
              'MemoryPressure',
              'False',
              'KubeletHasSufficientMemory',
              'kubelet has sufficient memory available',
            ],
            [
              'DiskPressure',
              'False',
              'KubeletHasNoDiskPressure',
              'kubelet has no disk pressure',
            ],
            [
              'PIDPressure',
              'False',
              'KubeletHasSufficientPID',
              'kubelet has sufficient PID available',
            ],
            [
              'Ready',
              'True',
              'KubeletReady',
              'kubelet is posting ready status',
            ],
          ].map(([type, status, reason, message]) => ({
            type,
            status,
            reason,
            message,
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          })),
          addresses: [
            {
              type: 'InternalIP',
              address: `10.0.${this.options.podNetwork % 250}.${i}`,
            },
            { type: 'Hostname', address: name },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.31.0',
            kubeProxyVersion: 'v1.31.0',
            containerRuntimeVersion: 'containerd://1.7.20',
            osImage: 'Debian GNU/Linux 12 (bookworm)',
            operatingSystem: 'linux',
            architecture: 'amd64',
            kernelVersion: '6.1.0-sandbox',
          },
        },
      });
    }
  }

  /** Prometheus exposition text for every pod, container and workload. */
  prometheusText(now = Date.now()): string {
    const list = (group: string, resource: string) =>
      this.store.list(this.type(group, resource));
    return renderMetrics({
      cluster: this.name,
      pods: list('', 'pods'),
      nodes: list('', 'nodes'),
      deployments: list('apps', 'deployments'),
      statefulsets: list('apps', 'statefulsets'),
      replicasets: list('apps', 'replicasets'),
      hpas: list('autoscaling', 'horizontalpodautoscalers'),
      usage: this.usage,
      now,
    });
  }

  /**
   * A node's cAdvisor metrics as the kubelet serves them through the API server's node
   * proxy (`/api/v1/nodes/{node}/proxy/metrics/cadvisor`): the `container_*` series of
   * the pods on that node, labelled as the kubelet labels them (no `node` label);
   * undefined for an unknown node.
   */
  cadvisorText(node: string, now = Date.now()): string | undefined {
    if (!this.store.get(this.type('', 'nodes'), undefined, node))
      return undefined;
    return renderMetrics({
      cluster: this.name,
      pods: this.store.list(this.type('', 'pods')),
      nodes: [],
      deployments: [],
      statefulsets: [],
      replicasets: [],
      hpas: [],
      usage: this.usage,
      now,
      node,
    });
  }

  /** One node's kubelet volume statistics, or undefined for a node that does not exist. */
  volumeStats(node: string, now = Date.now()): VolumeStats[] | undefined {
    if (!this.store.get(this.type('', 'nodes'), undefined, node))
      return undefined;
    return nodeVolumeStats(
      node,
      this.store.list(this.type('', 'pods')),
      this.store.list(this.type('', 'persistentvolumeclaims')),
      now,
    );
  }

  /**
   * One node's root and image filesystems as its kubelet's Summary API reports them,
   * or undefined for a node that does not exist.
   */
  nodeFilesystem(node: string): NodeFilesystem | undefined {
    const object = this.store.get(this.type('', 'nodes'), undefined, node);
    if (!object) return undefined;
    return this.disks.filesystem(
      object,
      this.store.list(this.type('', 'pods')),
    );
  }

  /** metrics.k8s.io PodMetrics / NodeMetrics computed from the usage model. */
  resourceMetrics(type: ResourceType, namespace?: string): KubeObject[] {
    const now = Date.now();
    const timestamp = nowTimestamp(now);
    const pods = this.store
      .list(
        this.type('', 'pods'),
        type.resource === 'pods' ? namespace : undefined,
      )
      .filter(p => p.status?.phase === 'Running');
    const usageOf = (
      pod: KubeObject,
    ): { name: string; usage: ContainerUsage }[] =>
      (pod.spec.containers ?? [])
        .filter((c: any) =>
          (pod.status?.containerStatuses ?? []).some(
            (s: any) => s.name === c.name && s.state?.running,
          ),
        )
        .map((c: any) => ({
          name: c.name,
          usage: this.usage.containerUsage(pod, c.name, now),
        }));
    const cpu = (cores: number) => `${Math.round(cores * 1e9)}n`;
    const memory = (bytes: number) => `${Math.round(bytes / 1024)}Ki`;
    if (type.resource === 'pods') {
      return pods.map(pod => ({
        kind: 'PodMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {
          name: pod.metadata.name,
          namespace: pod.metadata.namespace,
          labels: pod.metadata.labels,
          creationTimestamp: timestamp,
        },
        timestamp,
        window: '15s',
        containers: usageOf(pod).map(c => ({
          name: c.name,
          usage: {
            cpu: cpu(c.usage.cpuCores),
            memory: memory(c.usage.memoryWorkingSetBytes),
          },
        })),
      }));
    }
    const byNode = new Map<string, { cpu: number; memory: number }>();
    for (const pod of pods) {
      const total = byNode.get(pod.spec.nodeName) ?? { cpu: 0, memory: 0 };
      for (const c of usageOf(pod)) {
        total.cpu += c.usage.cpuCores;
        total.memory += c.usage.memoryWorkingSetBytes;
      }
      byNode.set(pod.spec.nodeName, total);
    }
    return this.store.list(this.type('', 'nodes')).map(node => {
      const total = byNode.get(node.metadata.name) ?? { cpu: 0, memory: 0 };
      return {
        kind: 'NodeMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {
          name: node.metadata.name,
          labels: node.metadata.labels,
          creationTimestamp: timestamp,
        },
        timestamp,
        window: '20s',
        usage: {
          cpu: cpu(total.cpu + 0.2),
          memory: memory(total.memory + 1.5 * 1024 ** 3),
        },
      };
    });
  }

  /** Object counts by resource, for the stats endpoint and benchmarks. */
  objectCounts() {
    const out: Record<string, number> = {};
    for (const type of RESOURCE_TYPES) {
      const n = this.store.count(type);
      if (n > 0)
        out[type.group ? `${type.resource}.${type.group}` : type.resource] = n;
    }
    return out;
  }
}
