import http from 'http';
import { createHash } from 'crypto';
import { nowTimestamp, quantity } from '../api/defaults';
import { errors } from '../api/errors';
import { Registry } from '../api/registry';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import {
  EventRecorder,
  Timers,
  WorkQueue,
  nsKey,
  setCondition,
  splitKey,
} from '../controllers/runtime';
import {
  ContainerRun,
  LogLine,
  runLinesAfter,
  runLogCursor,
  runLinesSince,
  runLinesTail,
  withTimestamp,
} from './logLines';
import { RemoteCommandServer } from './remoteCommand';
import {
  ContainerView,
  SimulatedShell,
  isProgram,
  isShell,
  mainCommand,
} from './shell';

/* eslint-disable no-param-reassign */

/** The failure a container is made to show, chosen per workload. */
export type FailureMode =
  | 'image-pull'
  | 'crash-loop'
  | 'never-ready'
  | 'oom-killed';

export const ANNOTATION_FAILURE = 'sandbox.k2.io/failure';
export const ANNOTATION_FAILURE_CONTAINER = 'sandbox.k2.io/failure-container';
export const ANNOTATION_READY_AFTER = 'sandbox.k2.io/ready-after-seconds';
export const ANNOTATION_CRASH_AFTER = 'sandbox.k2.io/crash-after-seconds';
export const ANNOTATION_OOM_AFTER = 'sandbox.k2.io/oom-after-seconds';
export const ANNOTATION_RUN_SECONDS = 'sandbox.k2.io/run-seconds';

const TAG_MODES: [RegExp, FailureMode][] = [
  [/pullerror|notfound/, 'image-pull'],
  [/crashloop/, 'crash-loop'],
  [/neverready/, 'never-ready'],
  [/oomkill/, 'oom-killed'],
];

/**
 * The failure mode of one container: the pod annotation `sandbox.k2.io/failure`
 * (applied to the container named by `sandbox.k2.io/failure-container`, or the first),
 * or a word in the image tag: `pullerror`/`notfound`, `crashloop`, `neverready`,
 * `oomkill` (e.g. `shop/web:1.2-crashloop`).
 */
export function failureModeOf(
  pod: KubeObject,
  container: any,
): FailureMode | undefined {
  const annotations = pod.metadata.annotations ?? {};
  const mode = annotations[ANNOTATION_FAILURE] as FailureMode | undefined;
  if (mode) {
    const target =
      annotations[ANNOTATION_FAILURE_CONTAINER] ??
      pod.spec?.containers?.[0]?.name;
    if (container.name === target) return mode;
  }
  const tag = /:([^/:]+)$/.exec(container.image ?? '')?.[1] ?? '';
  return TAG_MODES.find(([re]) => re.test(tag))?.[1];
}

export interface KubeletOptions {
  /** Multiplies every simulated duration (1 = real-time-like; tests use less). */
  timeScale: number;
  /** From scheduling to running containers (image pull and start), ms before scaling. */
  podStartMs: number;
  /** Readiness delay when the container has no readiness probe, seconds. */
  defaultReadySeconds: number;
  /** Longest time a terminating pod takes to go away, ms before scaling. */
  podTerminationMs: number;
}

const short = (text: string) => createHash('sha256').update(text).digest('hex');

interface NodeLoad {
  cpu: number;
  memory: number;
  pods: number;
}

/**
 * The scheduler and the kubelets of every node: assigns pending pods to nodes by
 * requested resources, then drives each pod through pulling, running, readiness,
 * crashes with back-off, completion and graceful termination, recording the events a
 * real kubelet records.
 */
export class Kubelet {
  private readonly pods;
  private readonly nodes;
  private readonly queue: WorkQueue;
  private readonly started = new Set<string>();
  /** Terminating pods by uid: when each goes away (epoch ms). */
  private readonly terminating = new Map<string, number>();
  private readonly load = new Map<string, NodeLoad>();
  private readonly unschedulable = new Set<string>();
  private ipCounter = 0;
  /** exec and attach into this cluster's containers. */
  readonly remoteCommands: RemoteCommandServer;
  /** What each non-interactive ephemeral container printed, by pod uid/container. */
  private readonly ephemeralLogs = new Map<string, string>();

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly timers: Timers,
    private readonly options: KubeletOptions,
    private readonly podNetwork: number,
    /** Pod IPs on loopback (127.N.x.y) instead of 10.N.x.y, so pods can be reached. */
    private readonly loopbackPods = false,
  ) {
    this.pods = registry.typeOf('', 'pods');
    this.nodes = registry.typeOf('', 'nodes');
    this.queue = new WorkQueue(key => this.sync(key));
    this.remoteCommands = new RemoteCommandServer(registry, (pod, c, code) =>
      this.endEphemeralContainer(pod, c, code),
    );
  }

  stop() {
    this.queue.stop();
  }

  private ms(value: number) {
    return value * this.options.timeScale;
  }

  onEvent(event: StoreEvent) {
    if (event.resource === this.nodes) {
      if (event.type !== 'DELETED') this.retryUnschedulable();
      return;
    }
    if (event.resource !== this.pods) return;
    const pod = event.object;
    const uid = pod.metadata.uid!;
    const before = event.previous?.spec?.nodeName;
    const after = event.type === 'DELETED' ? undefined : pod.spec?.nodeName;
    if (before !== after || event.type === 'DELETED') {
      if (before) this.adjustLoad(before, event.previous!, -1);
      if (after) this.adjustLoad(after, pod, 1);
    }
    if (event.type === 'DELETED') {
      this.started.delete(uid);
      this.remoteCommands.podGone(uid);
      for (const key of this.ephemeralLogs.keys()) {
        if (key.startsWith(`${uid}/`)) this.ephemeralLogs.delete(key);
      }
      this.terminating.delete(uid);
      this.unschedulable.delete(
        nsKey(pod.metadata.namespace, pod.metadata.name),
      );
      this.timers.cancel(`pod:${uid}`);
      this.retryUnschedulable();
      return;
    }
    this.queue.add(nsKey(pod.metadata.namespace, pod.metadata.name));
  }

  private retryUnschedulable() {
    for (const key of this.unschedulable) this.queue.add(key);
  }

  private adjustLoad(node: string, pod: KubeObject, sign: number) {
    const load = this.load.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
    const req = podRequests(pod);
    load.cpu += sign * req.cpu;
    load.memory += sign * req.memory;
    load.pods += sign;
    this.load.set(node, load);
    this.siblingCount(node, pod.metadata.ownerReferences?.[0]?.uid, sign);
  }

  nodeLoad(node: string): NodeLoad {
    return this.load.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
  }

  private sync(key: string) {
    const [ns, name] = splitKey(key);
    const pod = this.registry.find(this.pods, ns, name);
    if (!pod) return;
    const uid = pod.metadata.uid!;
    if (pod.metadata.deletionTimestamp) {
      const due = this.terminating.get(uid);
      if (due === undefined) this.terminate(pod);
      else if (this.removalTime(pod) < due) this.scheduleRemoval(pod);
      return;
    }
    if (!pod.spec?.nodeName) {
      this.schedule(pod);
      return;
    }
    if (!this.started.has(uid)) {
      this.started.add(uid);
      if (!pod.status?.startTime) this.startPod(pod);
      else this.resume(pod);
    }
    this.startEphemeralContainers(pod);
  }

  /**
   * Starts the ephemeral containers (`kubectl debug`) that have no status yet: pull,
   * create and start them with the kubelet's events, in the pod's namespaces (and the
   * process namespace of their `targetContainerName`). They are never restarted.
   */
  private startEphemeralContainers(pod: KubeObject) {
    if (!pod.status?.startTime) return;
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed')
      return;
    const known = new Set(
      (pod.status.ephemeralContainerStatuses ?? []).map((s: any) => s.name),
    );
    const fresh: any[] = (pod.spec.ephemeralContainers ?? []).filter(
      (c: any) => !known.has(c.name),
    );
    if (fresh.length === 0) return;
    const { namespace, name, uid } = pod.metadata;
    this.registry.mutate(
      this.pods,
      namespace,
      name,
      o => {
        o.status.ephemeralContainerStatuses = [
          ...(o.status.ephemeralContainerStatuses ?? []),
          ...fresh.map(c => ({
            name: c.name,
            state: { waiting: { reason: 'ContainerCreating' } },
            lastState: {},
            ready: false,
            restartCount: 0,
            image: c.image,
            imageID: '',
          })),
        ];
      },
      { status: true },
    );
    for (const c of fresh) {
      const fieldPath = `spec.ephemeralContainers{${c.name}}`;
      this.events.record(
        pod,
        'Normal',
        'Pulling',
        `Pulling image "${c.image}"`,
        'kubelet',
        pod.spec.nodeName,
        fieldPath,
      );
      this.later(pod, this.ms(this.options.podStartMs), () => {
        for (const [reason, message] of [
          [
            'Pulled',
            `Successfully pulled image "${c.image}" in 1.204s (1.204s including waiting). Image size: 2167176 bytes.`,
          ],
          ['Created', `Created container: ${c.name}`],
          ['Started', `Started container ${c.name}`],
        ]) {
          this.events.record(
            pod,
            'Normal',
            reason,
            message,
            'kubelet',
            pod.spec.nodeName,
            fieldPath,
          );
        }
        const startedAt = nowTimestamp();
        this.registry.mutate(
          this.pods,
          namespace,
          name,
          o => {
            const s = (o.status.ephemeralContainerStatuses ?? []).find(
              (e: any) => e.name === c.name,
            );
            if (!s) return;
            s.state = { running: { startedAt } };
            s.imageID = `${c.image.replace(/:[^/:]+$/, '')}@sha256:${short(
              c.image,
            )}`;
            s.containerID = `containerd://${short(`${uid}/${c.name}`)}`;
          },
          { status: true },
        );
        this.runEphemeralCommand(pod, c);
      });
    }
  }

  /**
   * An ephemeral container whose main process is not an interactive shell (a command
   * such as `ps`, or a shell without stdin) runs it once: its output becomes the
   * container's log and its exit code ends the container. A program the image lacks
   * ends it as the runtime does: StartError, exit code 128.
   */
  private runEphemeralCommand(pod: KubeObject, c: any) {
    const main = mainCommand(c);
    const live = this.registry.find(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
    );
    if (!live || live.metadata.uid !== pod.metadata.uid) return;
    const lookup = (
      resource: 'configmaps' | 'secrets' | 'services',
      namespace: string,
      name: string,
    ) =>
      this.registry.find(this.registry.typeOf('', resource), namespace, name);
    const target = (live.spec.containers ?? []).find(
      (x: any) => x.name === c.targetContainerName,
    );
    const view = new ContainerView(live, c, lookup, target);
    const interactive =
      isShell(main) && !main.includes('-c') && c.stdin === true;
    if (interactive && view.hasShell) return;
    const key = `${pod.metadata.uid}/${c.name}`;
    if (!isProgram(view, main[0])) {
      this.ephemeralLogs.set(key, '');
      this.endEphemeralContainer(
        live,
        c.name,
        128,
        `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${main[0]}": executable file not found in $PATH: unknown`,
      );
      return;
    }
    const result = new SimulatedShell(view, target ? 7 : 1, 'main').command(
      main,
    );
    this.ephemeralLogs.set(key, result.stdout + result.stderr);
    this.endEphemeralContainer(live, c.name, result.exit ?? result.code);
  }

  /** The main process of an ephemeral container ended with `code` (its shell exited). */
  private endEphemeralContainer(
    pod: KubeObject,
    container: string,
    code: number,
    startError?: string,
  ) {
    this.registry.mutate(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
      o => {
        if (o.metadata.uid !== pod.metadata.uid) return;
        const s = (o.status.ephemeralContainerStatuses ?? []).find(
          (e: any) => e.name === container,
        );
        if (!s?.state?.running) return;
        let reason = code === 0 ? 'Completed' : 'Error';
        if (startError) reason = 'StartError';
        s.state = {
          terminated: {
            exitCode: code,
            reason,
            ...(startError ? { message: startError } : {}),
            startedAt: s.state.running.startedAt,
            finishedAt: nowTimestamp(),
            containerID: s.containerID,
          },
        };
      },
      { status: true },
    );
  }

  private schedule(pod: KubeObject) {
    const key = nsKey(pod.metadata.namespace, pod.metadata.name);
    const req = podRequests(pod);
    const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
    const nodes = this.registry.list(this.nodes, undefined).items;
    const reasons = new Map<string, number>();
    const note = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
    let best: { node: KubeObject; score: number } | undefined;
    const owner = pod.metadata.ownerReferences?.[0]?.uid;
    for (const node of nodes) {
      const ready = (node.status?.conditions ?? []).some(
        (c: any) => c.type === 'Ready' && c.status === 'True',
      );
      if (!ready) {
        note('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
        continue;
      }
      if (node.spec?.unschedulable) {
        note('node(s) were unschedulable');
        continue;
      }
      if (
        !Object.entries(selector).every(
          ([k, v]) => node.metadata.labels?.[k] === v,
        )
      ) {
        note("node(s) didn't match Pod's node affinity/selector");
        continue;
      }
      const alloc = node.status?.allocatable ?? {};
      const load = this.nodeLoad(node.metadata.name);
      if (load.pods + 1 > quantity(alloc.pods ?? '110')) {
        note('Too many pods');
        continue;
      }
      if (load.cpu + req.cpu > quantity(alloc.cpu ?? '0')) {
        note('Insufficient cpu');
        continue;
      }
      if (load.memory + req.memory > quantity(alloc.memory ?? '0')) {
        note('Insufficient memory');
        continue;
      }
      const cpuShare = (load.cpu + req.cpu) / quantity(alloc.cpu);
      const memShare = (load.memory + req.memory) / quantity(alloc.memory);
      // Spread replicas of one workload: siblings on the node weigh like load.
      const siblings = owner ? this.siblingsOn(node.metadata.name, owner) : 0;
      const score = cpuShare + memShare + siblings * 0.5 + load.pods / 1000;
      if (!best || score < best.score) best = { node, score };
    }
    if (!best) {
      const message = `0/${nodes.length} nodes are available: ${[...reasons]
        .map(([r, n]) => `${n} ${r}`)
        .sort()
        .join(', ')}. preemption: 0/${nodes.length} nodes are available: ${
        nodes.length
      } No preemption victims found for incoming pod.`;
      this.unschedulable.add(key);
      this.registry.mutate(
        this.pods,
        pod.metadata.namespace,
        pod.metadata.name,
        o => {
          setCondition(
            o.status,
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message,
            },
            { lastProbeTime: null as any },
          );
        },
        { status: true },
      );
      this.events.record(
        pod,
        'Warning',
        'FailedScheduling',
        message,
        'default-scheduler',
      );
      return;
    }
    this.unschedulable.delete(key);
    const nodeName = best.node.metadata.name;
    const bound = this.registry.mutate(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
      o => {
        o.spec.nodeName = nodeName;
        setCondition(
          o.status,
          { type: 'PodScheduled', status: 'True' },
          { lastProbeTime: null as any },
        );
        delete o.status.conditions.find((c: any) => c.type === 'PodScheduled')
          .reason;
        delete o.status.conditions.find((c: any) => c.type === 'PodScheduled')
          .message;
      },
    );
    if (bound) {
      this.events.record(
        bound,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
        'default-scheduler',
      );
    }
  }

  private readonly siblings = new Map<string, number>();

  private siblingsOn(node: string, owner: string) {
    return this.siblings.get(`${node}|${owner}`) ?? 0;
  }

  private siblingCount(node: string, owner: string | undefined, delta: number) {
    if (!owner) return;
    const key = `${node}|${owner}`;
    const next = (this.siblings.get(key) ?? 0) + delta;
    if (next <= 0) this.siblings.delete(key);
    else this.siblings.set(key, next);
  }

  /** The least loaded node that fits the requests (seeding places pods with it). */
  pickNode(nodes: KubeObject[], requests: { cpu?: string; memory?: string }) {
    const cpu = quantity(requests.cpu ?? 0) || 0;
    const memory = quantity(requests.memory ?? 0) || 0;
    let best: { node: KubeObject; score: number } | undefined;
    for (const node of nodes) {
      const alloc = node.status?.allocatable ?? {};
      const load = this.nodeLoad(node.metadata.name);
      if (load.pods + 1 > quantity(alloc.pods ?? '110')) continue;
      if (
        load.cpu + cpu > quantity(alloc.cpu) ||
        load.memory + memory > quantity(alloc.memory)
      )
        continue;
      const score =
        (load.cpu + cpu) / quantity(alloc.cpu) +
        (load.memory + memory) / quantity(alloc.memory);
      if (!best || score < best.score) best = { node, score };
    }
    return best?.node;
  }

  allocateIp() {
    return this.nextIp();
  }

  private nextIp() {
    this.ipCounter++;
    return `${this.loopbackPods ? 127 : 10}.${this.podNetwork}.${
      Math.floor(this.ipCounter / 250) % 250
    }.${(this.ipCounter % 250) + 2}`;
  }

  private hostIp(nodeName: string) {
    const node = this.registry.find(this.nodes, undefined, nodeName);
    return (
      (node?.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')
        ?.address ?? '10.0.0.1'
    );
  }

  private startPod(pod: KubeObject) {
    const containers: any[] = pod.spec.containers ?? [];
    const { namespace, name } = pod.metadata;
    const names = containers.map(c => c.name).join(' ');
    this.registry.mutate(
      this.pods,
      namespace,
      name,
      o => {
        o.status.phase = 'Pending';
        o.status.hostIP = this.hostIp(o.spec.nodeName);
        o.status.hostIPs = [{ ip: o.status.hostIP }];
        o.status.startTime = nowTimestamp();
        setCondition(
          o.status,
          { type: 'Initialized', status: 'True' },
          { lastProbeTime: null as any },
        );
        setCondition(
          o.status,
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: `containers with unready status: [${names}]`,
          },
          { lastProbeTime: null as any },
        );
        setCondition(
          o.status,
          {
            type: 'ContainersReady',
            status: 'False',
            reason: 'ContainersNotReady',
            message: `containers with unready status: [${names}]`,
          },
          { lastProbeTime: null as any },
        );
        o.status.containerStatuses = containers.map(c => ({
          name: c.name,
          state: { waiting: { reason: 'ContainerCreating' } },
          lastState: {},
          ready: false,
          restartCount: 0,
          image: c.image,
          imageID: '',
          started: false,
        }));
      },
      { status: true },
    );
    for (const c of containers) {
      this.events.record(
        pod,
        'Normal',
        'Pulling',
        `Pulling image "${c.image}"`,
        'kubelet',
        pod.spec.nodeName,
        `spec.containers{${c.name}}`,
      );
    }
    this.later(pod, this.ms(this.options.podStartMs), () => {
      for (const c of containers)
        this.startContainer(pod.metadata.uid!, namespace, name, c.name, true);
    });
  }

  /** A pod that already runs (seeded, or found after a restart): re-arm its timers. */
  private resume(pod: KubeObject) {
    for (const c of pod.spec.containers ?? []) {
      const status = (pod.status?.containerStatuses ?? []).find(
        (s: any) => s.name === c.name,
      );
      if (status?.state?.running) {
        if (!status.ready)
          this.scheduleReadiness(pod, c.name, status.state.running.startedAt);
        this.scheduleEnd(pod, c, Date.parse(status.state.running.startedAt));
      } else if (status?.state?.waiting) {
        this.later(pod, this.ms(2000), () =>
          this.startContainer(
            pod.metadata.uid!,
            pod.metadata.namespace,
            pod.metadata.name,
            c.name,
            false,
          ),
        );
      }
    }
  }

  private later(pod: KubeObject, ms: number, fn: () => void) {
    this.timers.after(ms, () => {
      const live = this.registry.find(
        this.pods,
        pod.metadata.namespace,
        pod.metadata.name,
      );
      if (
        !live ||
        live.metadata.uid !== pod.metadata.uid ||
        live.metadata.deletionTimestamp
      )
        return;
      fn();
    });
  }

  private containerSpec(pod: KubeObject, container: string) {
    return (pod.spec.containers ?? []).find((c: any) => c.name === container);
  }

  private startContainer(
    uid: string,
    namespace: string | undefined,
    name: string,
    container: string,
    firstStart: boolean,
  ) {
    const pod = this.registry.find(this.pods, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp)
      return;
    const spec = this.containerSpec(pod, container);
    const mode = failureModeOf(pod, spec);
    const node = pod.spec.nodeName;
    const fieldPath = `spec.containers{${container}}`;
    if (mode === 'image-pull') {
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${spec.image}": failed to resolve reference "${spec.image}": ${spec.image}: not found`;
      this.events.record(
        pod,
        'Warning',
        'Failed',
        `Failed to pull image "${spec.image}": ${message}`,
        'kubelet',
        node,
        fieldPath,
      );
      this.events.record(
        pod,
        'Warning',
        'Failed',
        'Error: ErrImagePull',
        'kubelet',
        node,
        fieldPath,
      );
      this.setContainer(pod, container, s => {
        s.state = { waiting: { reason: 'ErrImagePull', message } };
      });
      this.later(pod, this.ms(2000), () => {
        this.events.record(
          pod,
          'Normal',
          'BackOff',
          `Back-off pulling image "${spec.image}"`,
          'kubelet',
          node,
          fieldPath,
        );
        this.events.record(
          pod,
          'Warning',
          'Failed',
          'Error: ImagePullBackOff',
          'kubelet',
          node,
          fieldPath,
        );
        this.setContainer(pod, container, s => {
          s.state = {
            waiting: {
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image "${spec.image}"`,
            },
          };
        });
        this.later(pod, this.ms(20000), () =>
          this.startContainer(uid, namespace, name, container, false),
        );
      });
      return;
    }
    if (firstStart) {
      this.events.record(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${spec.image}" in 1.204s (1.204s including waiting). Image size: 87412331 bytes.`,
        'kubelet',
        node,
        fieldPath,
      );
    } else {
      this.events.record(
        pod,
        'Normal',
        'Pulled',
        `Container image "${spec.image}" already present on machine`,
        'kubelet',
        node,
        fieldPath,
      );
    }
    this.events.record(
      pod,
      'Normal',
      'Created',
      `Created container: ${container}`,
      'kubelet',
      node,
      fieldPath,
    );
    this.events.record(
      pod,
      'Normal',
      'Started',
      `Started container ${container}`,
      'kubelet',
      node,
      fieldPath,
    );
    const startedAt = nowTimestamp();
    const updated = this.registry.mutate(
      this.pods,
      namespace,
      name,
      o => {
        if (!o.status.podIP) {
          o.status.podIP = this.nextIp();
          o.status.podIPs = [{ ip: o.status.podIP }];
        }
        const s = o.status.containerStatuses.find(
          (c: any) => c.name === container,
        );
        s.state = { running: { startedAt } };
        s.ready = false;
        s.started = true;
        s.imageID = `${spec.image.replace(/:[^/:]+$/, '')}@sha256:${short(
          spec.image,
        )}`;
        s.containerID = `containerd://${short(
          `${uid}/${container}/${s.restartCount}`,
        )}`;
        o.status.phase = 'Running';
        refreshPodReady(o);
      },
      { status: true },
    );
    if (!updated) return;
    this.scheduleReadiness(updated, container, startedAt);
    this.scheduleEnd(updated, spec, Date.parse(startedAt));
  }

  private scheduleReadiness(
    pod: KubeObject,
    container: string,
    startedAt: string,
  ) {
    const spec = this.containerSpec(pod, container);
    const mode = failureModeOf(pod, spec);
    const probe = spec.readinessProbe;
    const annotated = pod.metadata.annotations?.[ANNOTATION_READY_AFTER];
    let seconds = this.options.defaultReadySeconds;
    if (annotated !== undefined) seconds = Number(annotated);
    else if (probe) seconds = probe.initialDelaySeconds ?? 0;
    const elapsed = Date.now() - Date.parse(startedAt);
    const wait = Math.max(0, this.ms(seconds * 1000) - elapsed);
    if (mode === 'never-ready') {
      const period = this.ms((probe?.periodSeconds ?? 10) * 1000);
      const fail = () => {
        const live = this.registry.find(
          this.pods,
          pod.metadata.namespace,
          pod.metadata.name,
        );
        const s = live?.status?.containerStatuses?.find(
          (c: any) => c.name === container,
        );
        if (
          !live ||
          live.metadata.uid !== pod.metadata.uid ||
          !s?.state?.running ||
          s.state.running.startedAt !== startedAt
        )
          return;
        const path = probe?.httpGet?.path ?? '/health';
        this.events.record(
          live,
          'Warning',
          'Unhealthy',
          `Readiness probe failed: Get "http://${live.status.podIP}:${
            probe?.httpGet?.port ?? 8080
          }${path}": dial tcp ${live.status.podIP}:${
            probe?.httpGet?.port ?? 8080
          }: connect: connection refused`,
          'kubelet',
          live.spec.nodeName,
          `spec.containers{${container}}`,
        );
        this.later(live, period, fail);
      };
      this.later(pod, wait, fail);
      return;
    }
    this.later(pod, wait, () => {
      this.setContainer(pod, container, s => {
        if (s.state?.running?.startedAt === startedAt) s.ready = true;
      });
    });
  }

  /** Crash, OOM kill or completion of a container run, by failure mode and restart policy. */
  private scheduleEnd(pod: KubeObject, spec: any, startedAt: number) {
    const mode = failureModeOf(pod, spec);
    const annotations = pod.metadata.annotations ?? {};
    const jobLike = pod.spec.restartPolicy !== 'Always';
    let seconds: number | undefined;
    let reason: 'Error' | 'OOMKilled' | 'Completed' | undefined;
    if (mode === 'crash-loop') {
      seconds = Number(annotations[ANNOTATION_CRASH_AFTER] ?? 3);
      reason = 'Error';
    } else if (mode === 'oom-killed') {
      seconds = Number(annotations[ANNOTATION_OOM_AFTER] ?? 30);
      reason = 'OOMKilled';
    } else if (jobLike) {
      seconds = Number(annotations[ANNOTATION_RUN_SECONDS] ?? 2);
      reason = 'Completed';
    }
    if (seconds === undefined || !reason) return;
    const wait = Math.max(
      0,
      this.ms(seconds * 1000) - (Date.now() - startedAt),
    );
    const endReason = reason;
    this.later(pod, wait, () => this.endContainer(pod, spec.name, endReason));
  }

  private endContainer(
    pod: KubeObject,
    container: string,
    reason: 'Error' | 'OOMKilled' | 'Completed',
  ) {
    const exitCode = { Completed: 0, OOMKilled: 137, Error: 1 }[reason];
    const policy = pod.spec.restartPolicy ?? 'Always';
    const restart =
      policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    let restarts = 0;
    const updated = this.registry.mutate(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
      o => {
        const s = o.status.containerStatuses.find(
          (c: any) => c.name === container,
        );
        if (!s?.state?.running) return;
        const terminated = {
          exitCode,
          reason,
          startedAt: s.state.running.startedAt,
          finishedAt: nowTimestamp(),
          containerID: s.containerID,
        };
        s.ready = false;
        if (restart) {
          s.lastState = { terminated };
          s.restartCount = (s.restartCount ?? 0) + 1;
          restarts = s.restartCount;
          s.state = {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off ${Math.min(
                10 * 2 ** (restarts - 1),
                300,
              )}s restarting failed container=${container} pod=${
                o.metadata.name
              }_${o.metadata.namespace}(${o.metadata.uid})`,
            },
          };
          s.started = false;
        } else {
          s.state = { terminated };
          s.started = false;
          const all: any[] = o.status.containerStatuses;
          if (all.every(c => c.state?.terminated)) {
            o.status.phase = all.every(c => c.state.terminated.exitCode === 0)
              ? 'Succeeded'
              : 'Failed';
          }
        }
        refreshPodReady(o);
        if (o.status.phase === 'Succeeded' || o.status.phase === 'Failed') {
          setCondition(
            o.status,
            {
              type: 'Ready',
              status: 'False',
              reason: 'PodCompleted',
              message: '',
            },
            { lastProbeTime: null as any },
          );
          setCondition(
            o.status,
            {
              type: 'ContainersReady',
              status: 'False',
              reason: 'PodCompleted',
              message: '',
            },
            { lastProbeTime: null as any },
          );
        }
      },
      { status: true },
    );
    if (!updated || !restart) return;
    const backoff = Math.min(10 * 2 ** (restarts - 1), 300) * 1000;
    this.events.record(
      updated,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${container} in pod ${updated.metadata.name}_${updated.metadata.namespace}(${updated.metadata.uid})`,
      'kubelet',
      updated.spec.nodeName,
      `spec.containers{${container}}`,
    );
    this.later(updated, this.ms(backoff), () =>
      this.startContainer(
        updated.metadata.uid!,
        updated.metadata.namespace,
        updated.metadata.name,
        container,
        false,
      ),
    );
  }

  private setContainer(
    pod: KubeObject,
    container: string,
    change: (s: any) => void,
  ) {
    this.registry.mutate(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
      o => {
        if (o.metadata.uid !== pod.metadata.uid) return;
        const s = o.status?.containerStatuses?.find(
          (c: any) => c.name === container,
        );
        if (!s) return;
        change(s);
        refreshPodReady(o);
      },
      { status: true },
    );
  }

  /** When a terminating pod goes: after its grace period, at most `podTerminationMs`. */
  private removalTime(pod: KubeObject) {
    const grace = (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
    return Date.now() + Math.min(grace, this.ms(this.options.podTerminationMs));
  }

  /** Removes a terminating pod at its removal time (sooner after a shortened grace period). */
  private scheduleRemoval(pod: KubeObject) {
    const uid = pod.metadata.uid!;
    const due = this.removalTime(pod);
    this.terminating.set(uid, due);
    this.timers.once(`pod:${uid}`, due - Date.now(), () => {
      const live = this.registry.find(
        this.pods,
        pod.metadata.namespace,
        pod.metadata.name,
      );
      if (live?.metadata.uid === uid) {
        this.registry.store.remove(
          this.pods,
          pod.metadata.namespace,
          pod.metadata.name,
        );
      }
    });
  }

  private terminate(pod: KubeObject) {
    const running = (pod.status?.containerStatuses ?? []).filter(
      (s: any) => s.state?.running,
    );
    for (const s of running) {
      this.events.record(
        pod,
        'Normal',
        'Killing',
        `Stopping container ${s.name}`,
        'kubelet',
        pod.spec.nodeName,
        `spec.containers{${s.name}}`,
      );
    }
    this.scheduleRemoval(pod);
    this.registry.mutate(
      this.pods,
      pod.metadata.namespace,
      pod.metadata.name,
      o => {
        for (const s of o.status?.containerStatuses ?? []) s.ready = false;
        refreshPodReady(o);
      },
      { status: true },
    );
  }

  /** Serves `GET .../pods/{name}/log` with container, tailLines, previous, follow, timestamps, sinceSeconds, sinceTime, limitBytes. */
  async serveLogs(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    namespace: string,
    name: string,
    query: URLSearchParams,
  ) {
    const pod = this.registry.get(this.pods, namespace, name);
    const containers: any[] = [
      ...(pod.spec.initContainers ?? []),
      ...(pod.spec.containers ?? []),
    ];
    let container = query.get('container') ?? undefined;
    const ephemeral = (pod.spec.ephemeralContainers ?? []).find(
      (c: any) => c.name === container,
    );
    if (ephemeral) {
      // A debug container's log: what its one command printed (a shell's is empty).
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(this.ephemeralLogs.get(`${pod.metadata.uid}/${container}`) ?? '');
      return;
    }
    if (!container) {
      if ((pod.spec.containers ?? []).length !== 1) {
        throw errors.badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${(
            pod.spec.containers ?? []
          )
            .map((c: any) => c.name)
            .join(' ')}]`,
        );
      }
      container = pod.spec.containers[0].name;
    }
    const spec = containers.find(c => c.name === container);
    if (!spec)
      throw errors.badRequest(
        `container ${container} is not valid for pod ${name}`,
      );
    const previous = query.get('previous') === 'true';
    const run = runOf(pod, spec, previous);
    if (!run) {
      const status = (pod.status?.containerStatuses ?? []).find(
        (s: any) => s.name === container,
      );
      if (previous)
        throw errors.badRequest(
          `previous terminated container "${container}" in pod "${name}" not found`,
        );
      const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
      const text =
        reason === 'ImagePullBackOff' || reason === 'ErrImagePull'
          ? 'trying and failing to pull image'
          : reason;
      throw errors.badRequest(
        `container "${container}" in pod "${name}" is waiting to start: ${text}`,
      );
    }
    const now = Date.now();
    const until = run.endedAt ?? now;
    const sinceSeconds = Number(query.get('sinceSeconds') ?? 0);
    const sinceTime = query.get('sinceTime');
    let since: number | undefined;
    if (sinceSeconds > 0) since = now - sinceSeconds * 1000;
    else if (sinceTime) since = Date.parse(sinceTime);
    const tail = query.get('tailLines');
    let lines: LogLine[];
    if (tail !== null) {
      lines = runLinesTail(run, until, Math.max(0, Number(tail)));
      if (since !== undefined) lines = lines.filter(l => l.time > since);
    } else {
      lines = runLinesSince(run, since ?? run.startedAt - 1, until);
    }
    const timestamps = query.get('timestamps') === 'true';
    const format = (l: LogLine) =>
      `${timestamps ? withTimestamp(l) : l.text}\n`;
    const limit = Number(query.get('limitBytes') ?? 0) || Infinity;
    let written = 0;
    res.writeHead(200, {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
    });
    const write = (text: string) => {
      if (written >= limit) return false;
      const part =
        written + text.length > limit ? text.slice(0, limit - written) : text;
      written += part.length;
      res.write(part);
      return written < limit;
    };
    for (const l of lines) if (!write(format(l))) break;
    if (
      query.get('follow') !== 'true' ||
      previous ||
      run.endedAt ||
      written >= limit
    ) {
      res.end();
      return;
    }
    // Counted in lines rather than time: a run's last lines appear once it has ended,
    // dated before its end, which may be before this follower's last read.
    let cursor = runLogCursor(run, until);
    const poll = setInterval(() => {
      const live = this.registry.find(this.pods, namespace, name);
      const current =
        live && live.metadata.uid === pod.metadata.uid
          ? runOf(live, spec, false)
          : undefined;
      const stillSame = current && current.startedAt === run.startedAt;
      const end = stillSame ? current.endedAt ?? Date.now() : Date.now();
      const next = runLinesAfter(stillSame ? current : run, cursor, end);
      for (const l of next.lines) {
        if (!write(format(l))) break;
      }
      cursor = next.cursor;
      if (
        !stillSame ||
        current.endedAt ||
        written >= limit ||
        live?.metadata.deletionTimestamp
      ) {
        clearInterval(poll);
        res.end();
      }
    }, 500);
    // Stops with the connection, also one closed before we got here (its 'close' has
    // come and gone): a poll outliving it would keep the process alive for nothing.
    const stop = () => clearInterval(poll);
    req.on('close', stop);
    res.on('close', stop);
    if (!res.socket || res.socket.destroyed) stop();
  }
}

function podRequests(pod: KubeObject) {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec?.containers ?? []) {
    cpu +=
      quantity(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu ?? 0) ||
      0;
    memory +=
      quantity(
        c.resources?.requests?.memory ?? c.resources?.limits?.memory ?? 0,
      ) || 0;
  }
  return { cpu, memory };
}

function refreshPodReady(pod: KubeObject) {
  const statuses: any[] = pod.status?.containerStatuses ?? [];
  const unready = statuses.filter(s => !s.ready).map(s => s.name);
  const terminatingOrDone =
    pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (terminatingOrDone) return;
  if (unready.length === 0 && statuses.length > 0) {
    setCondition(
      pod.status,
      { type: 'ContainersReady', status: 'True' },
      { lastProbeTime: null as any },
    );
    setCondition(
      pod.status,
      { type: 'Ready', status: 'True' },
      { lastProbeTime: null as any },
    );
    for (const c of pod.status.conditions) {
      if (c.type === 'Ready' || c.type === 'ContainersReady') {
        delete c.reason;
        delete c.message;
      }
    }
  } else {
    const message = `containers with unready status: [${unready.join(' ')}]`;
    setCondition(
      pod.status,
      {
        type: 'ContainersReady',
        status: 'False',
        reason: 'ContainersNotReady',
        message,
      },
      { lastProbeTime: null as any },
    );
    setCondition(
      pod.status,
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message },
      { lastProbeTime: null as any },
    );
  }
}

function endReasonOf(terminated: { reason?: string; exitCode?: number }) {
  if (terminated.reason === 'OOMKilled') return 'OOMKilled';
  return terminated.exitCode === 0 ? 'Completed' : 'Error';
}

/** The container run a log request reads, from the pod's status alone. */
function runOf(
  pod: KubeObject,
  spec: any,
  previous: boolean,
): ContainerRun | undefined {
  const status = (pod.status?.containerStatuses ?? []).find(
    (s: any) => s.name === spec.name,
  );
  if (!status) return undefined;
  const base = {
    podName: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    containerName: spec.name,
    image: spec.image,
    neverReady: failureModeOf(pod, spec) === 'never-ready',
    port: spec.ports?.[0]?.containerPort,
  };
  // As the kubelet does: without a current run (waiting to restart), the log is the
  // last terminated run's.
  const terminated = previous
    ? status.lastState?.terminated
    : status.state?.terminated ??
      (status.state?.running ? undefined : status.lastState?.terminated);
  if (terminated) {
    return {
      ...base,
      startedAt: Date.parse(terminated.startedAt),
      endedAt: Date.parse(terminated.finishedAt),
      endReason: endReasonOf(terminated),
    };
  }
  if (previous) return undefined;
  if (status.state?.running) {
    return { ...base, startedAt: Date.parse(status.state.running.startedAt) };
  }
  return undefined;
}
