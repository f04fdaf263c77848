import { nowTimestamp, templateHash } from '../api/defaults';
import { Registry } from '../api/registry';
import { KubeObject } from '../api/types';
import { StoreEvent } from '../api/store';
import {
  EventRecorder,
  Timers,
  WorkQueue,
  controllerOf,
  isPodActive,
  isPodAvailable,
  isPodReady,
  nsKey,
  ownerRef,
  setCondition,
  splitKey,
} from './runtime';
import { randomSuffix } from '../api/defaults';

/* eslint-disable no-param-reassign */

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Resolves an int-or-percent value (maxSurge rounds up, maxUnavailable down). */
export function resolveIntOrPercent(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * ReplicaSet and Deployment controllers, following kube-controller-manager: a Deployment
 * owns one ReplicaSet per pod template (named by pod-template-hash), rolling updates
 * scale the new one up within maxSurge and the old ones down within maxUnavailable, and
 * the status and conditions are those `kubectl rollout status` reads.
 */
export class WorkloadControllers {
  private readonly rsQueue: WorkQueue;
  private readonly deployQueue: WorkQueue;
  private readonly rs;
  private readonly deploy;
  private readonly pods;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
    private readonly timers: Timers,
  ) {
    this.rs = registry.typeOf('apps', 'replicasets');
    this.deploy = registry.typeOf('apps', 'deployments');
    this.pods = registry.typeOf('', 'pods');
    this.rsQueue = new WorkQueue(key => this.syncReplicaSet(key));
    this.deployQueue = new WorkQueue(key => this.syncDeployment(key));
  }

  stop() {
    this.rsQueue.stop();
    this.deployQueue.stop();
  }

  onEvent(event: StoreEvent) {
    const { resource, object } = event;
    const ns = object.metadata.namespace;
    if (resource === this.deploy) {
      this.deployQueue.add(nsKey(ns, object.metadata.name));
    } else if (resource === this.rs) {
      this.rsQueue.add(nsKey(ns, object.metadata.name));
      const owner = controllerOf(object);
      if (owner?.kind === 'Deployment')
        this.deployQueue.add(nsKey(ns, owner.name));
    } else if (resource === this.pods) {
      const owner =
        controllerOf(object) ??
        (event.previous && controllerOf(event.previous));
      if (owner?.kind === 'ReplicaSet') {
        this.rsQueue.add(nsKey(ns, owner.name));
        if (event.type === 'DELETED') {
          // A Recreate rollout waits for the last old pod to go.
          const rs = this.registry.find(this.rs, ns, owner.name);
          const deployment = rs && controllerOf(rs);
          if (deployment?.kind === 'Deployment')
            this.deployQueue.add(nsKey(ns, deployment.name));
        }
      }
    }
  }

  private ownedPods(owner: KubeObject): KubeObject[] {
    return this.registry.store
      .dependentsOf(owner.metadata.uid!)
      .filter(d => d.resource === '/pods')
      .map(d => this.registry.store.getByKey(d.resource, d.key))
      .filter(
        (p): p is KubeObject =>
          p !== undefined && controllerOf(p)?.uid === owner.metadata.uid,
      );
  }

  private ownedReplicaSets(owner: KubeObject): KubeObject[] {
    return this.registry.store
      .dependentsOf(owner.metadata.uid!)
      .filter(d => d.resource === 'apps/replicasets')
      .map(d => this.registry.store.getByKey(d.resource, d.key))
      .filter(
        (r): r is KubeObject =>
          r !== undefined && controllerOf(r)?.uid === owner.metadata.uid,
      );
  }

  syncReplicaSet(key: string) {
    const [ns, name] = splitKey(key);
    const rs = this.registry.find(this.rs, ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const pods = this.ownedPods(rs);
    const active = pods.filter(isPodActive);
    const desired = rs.spec.replicas ?? 1;
    if (active.length < desired) {
      for (let i = active.length; i < desired; i++) {
        const template = rs.spec.template ?? {};
        const pod = this.registry.create(this.pods, ns, {
          metadata: {
            name: `${rs.metadata.name}-${randomSuffix()}`,
            namespace: ns,
            labels: { ...template.metadata?.labels },
            ...(template.metadata?.annotations
              ? { annotations: { ...template.metadata.annotations } }
              : {}),
            ownerReferences: [ownerRef(rs)],
          },
          spec: structuredClone(template.spec),
        });
        active.push(pod);
        this.events.record(
          rs,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${pod.metadata.name}`,
          'replicaset-controller',
        );
      }
    } else if (active.length > desired) {
      const rank = (p: KubeObject) =>
        (p.spec?.nodeName ? 0 : -4) +
        (p.status?.phase === 'Running' ? 0 : -2) +
        (isPodReady(p) ? 0 : -1);
      const victims = [...active]
        .sort(
          (a, b) =>
            rank(a) - rank(b) ||
            Date.parse(b.metadata.creationTimestamp!) -
              Date.parse(a.metadata.creationTimestamp!),
        )
        .slice(0, active.length - desired);
      for (const pod of victims) {
        this.registry.delete(this.pods, ns, pod.metadata.name);
        this.events.record(
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${pod.metadata.name}`,
          'replicaset-controller',
        );
      }
    }
    const current = this.ownedPods(rs).filter(isPodActive);
    const minReady = rs.spec.minReadySeconds ?? 0;
    const status = {
      replicas: current.length,
      fullyLabeledReplicas: current.length,
      readyReplicas: current.filter(isPodReady).length,
      availableReplicas: current.filter(p => isPodAvailable(p, minReady))
        .length,
      observedGeneration: rs.metadata.generation,
    };
    if (minReady > 0 && status.readyReplicas > status.availableReplicas) {
      this.timers.once(`rs-min-ready:${key}`, minReady * 1000 + 50, () =>
        this.rsQueue.add(key),
      );
    }
    this.registry.mutate(
      this.rs,
      ns,
      name,
      o => {
        o.status = { ...o.status, ...status };
        for (const k of [
          'readyReplicas',
          'availableReplicas',
          'fullyLabeledReplicas',
        ] as const) {
          if (!o.status[k]) delete o.status[k];
        }
      },
      { status: true },
    );
  }

  private scaleReplicaSet(dep: KubeObject, rs: KubeObject, replicas: number) {
    const from = rs.spec.replicas ?? 0;
    if (from === replicas) return rs;
    const maxSurge = resolveIntOrPercent(
      dep.spec.strategy?.rollingUpdate?.maxSurge,
      dep.spec.replicas,
      true,
      '25%',
    );
    const updated = this.registry.mutate(
      this.rs,
      rs.metadata.namespace,
      rs.metadata.name,
      o => {
        o.spec.replicas = replicas;
        o.metadata.annotations = {
          ...o.metadata.annotations,
          [DESIRED]: String(dep.spec.replicas),
          [MAX_REPLICAS]: String(dep.spec.replicas + maxSurge),
        };
      },
    )!;
    this.events.record(
      dep,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${replicas > from ? 'up' : 'down'} replica set ${
        rs.metadata.name
      } from ${from} to ${replicas}`,
      'deployment-controller',
    );
    return updated;
  }

  syncDeployment(key: string) {
    const [ns, name] = splitKey(key);
    const dep = this.registry.find(this.deploy, ns, name);
    if (!dep || dep.metadata.deletionTimestamp) return;
    const replicas: number = dep.spec.replicas ?? 1;
    const all = this.ownedReplicaSets(dep);
    const hash = templateHash(dep.spec.template);
    let newRS = all.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    const old = all.filter(rs => rs !== newRS);
    const maxOldRevision = Math.max(
      0,
      ...old.map(rs => Number(rs.metadata.annotations?.[REVISION] ?? 0)),
    );
    let createdNew = false;
    const recreate = dep.spec.strategy?.type === 'Recreate';
    const maxSurge = recreate
      ? 0
      : resolveIntOrPercent(
          dep.spec.strategy?.rollingUpdate?.maxSurge,
          replicas,
          true,
          '25%',
        );
    let maxUnavailable = recreate
      ? replicas
      : resolveIntOrPercent(
          dep.spec.strategy?.rollingUpdate?.maxUnavailable,
          replicas,
          false,
          '25%',
        );
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;

    if (!dep.spec.paused) {
      if (!newRS) {
        const template = structuredClone(dep.spec.template);
        template.metadata = template.metadata ?? {};
        template.metadata.labels = {
          ...template.metadata.labels,
          'pod-template-hash': hash,
        };
        const oldPods = old.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
        const initial = recreate
          ? 0
          : Math.max(0, Math.min(replicas, replicas + maxSurge - oldPods));
        newRS = this.registry.create(this.rs, ns, {
          metadata: {
            name: `${dep.metadata.name}-${hash}`,
            namespace: ns,
            labels: {
              ...dep.spec.template?.metadata?.labels,
              'pod-template-hash': hash,
            },
            annotations: {
              [DESIRED]: String(replicas),
              [MAX_REPLICAS]: String(replicas + maxSurge),
              [REVISION]: String(maxOldRevision + 1),
            },
            ownerReferences: [ownerRef(dep)],
          },
          spec: {
            replicas: initial,
            minReadySeconds: dep.spec.minReadySeconds ?? 0,
            selector: {
              ...dep.spec.selector,
              matchLabels: {
                ...dep.spec.selector?.matchLabels,
                'pod-template-hash': hash,
              },
            },
            template,
          },
        });
        createdNew = true;
        if (initial > 0) {
          this.events.record(
            dep,
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}`,
            'deployment-controller',
          );
        }
      } else if (
        Number(newRS.metadata.annotations?.[REVISION] ?? 0) <= maxOldRevision
      ) {
        // Rolling back to an earlier template makes its ReplicaSet the newest revision.
        newRS = this.registry.mutate(this.rs, ns, newRS.metadata.name, o => {
          o.metadata.annotations = {
            ...o.metadata.annotations,
            [REVISION]: String(maxOldRevision + 1),
          };
        })!;
      }

      if (recreate) {
        const oldActive = old.some(rs => (rs.spec.replicas ?? 0) > 0);
        for (const rs of old) this.scaleReplicaSet(dep, rs, 0);
        const oldPodsLeft = old.some(rs => this.ownedPods(rs).length > 0);
        if (!oldActive && !oldPodsLeft)
          newRS = this.scaleReplicaSet(dep, newRS, replicas);
      } else {
        this.rollingUpdate(dep, newRS, old, replicas, maxSurge, maxUnavailable);
      }
      this.cleanupHistory(dep);
    }

    const fresh = this.ownedReplicaSets(dep);
    const current = fresh.find(
      rs => rs.metadata.labels?.['pod-template-hash'] === hash,
    );
    const sum = (f: (rs: KubeObject) => number) =>
      fresh.reduce((n, rs) => n + f(rs), 0);
    const status: any = {
      observedGeneration: dep.metadata.generation,
      replicas: sum(rs => rs.status?.replicas ?? 0),
      updatedReplicas: current?.status?.replicas ?? 0,
      readyReplicas: sum(rs => rs.status?.readyReplicas ?? 0),
      availableReplicas: sum(rs => rs.status?.availableReplicas ?? 0),
    };
    status.unavailableReplicas = Math.max(
      0,
      replicas - status.availableReplicas,
    );
    const complete =
      status.updatedReplicas === replicas &&
      status.availableReplicas === replicas &&
      status.replicas === replicas &&
      (current?.status?.observedGeneration ?? 0) >=
        (current?.metadata.generation ?? 0);

    this.registry.mutate(
      this.deploy,
      ns,
      name,
      o => {
        const previous = o.status ?? {};
        const next: any = {
          ...previous,
          ...status,
          conditions: structuredClone(previous.conditions ?? []),
        };
        for (const k of [
          'replicas',
          'updatedReplicas',
          'readyReplicas',
          'availableReplicas',
          'unavailableReplicas',
        ]) {
          if (!next[k]) delete next[k];
        }
        if (current) {
          o.metadata.annotations = {
            ...o.metadata.annotations,
            [REVISION]: current.metadata.annotations?.[REVISION] ?? '1',
          };
        }
        const now = nowTimestamp();
        const available = status.availableReplicas >= replicas - maxUnavailable;
        setCondition(
          next,
          available
            ? {
                type: 'Available',
                status: 'True',
                reason: 'MinimumReplicasAvailable',
                message: 'Deployment has minimum availability.',
              }
            : {
                type: 'Available',
                status: 'False',
                reason: 'MinimumReplicasUnavailable',
                message: 'Deployment does not have minimum availability.',
              },
          { lastUpdateTime: now },
        );
        const progressing = (next.conditions as any[]).find(
          c => c.type === 'Progressing',
        );
        const countsChanged = [
          'replicas',
          'updatedReplicas',
          'readyReplicas',
          'availableReplicas',
        ].some(k => (previous[k] ?? 0) !== (status[k] ?? 0));
        const rsName = current?.metadata.name ?? '';
        if (complete) {
          if (progressing?.reason !== 'NewReplicaSetAvailable') {
            setCondition(
              next,
              {
                type: 'Progressing',
                status: 'True',
                reason: 'NewReplicaSetAvailable',
                message: `ReplicaSet "${rsName}" has successfully progressed.`,
              },
              { lastUpdateTime: now },
            );
          }
        } else if (createdNew || !progressing) {
          setCondition(
            next,
            {
              type: 'Progressing',
              status: 'True',
              reason: 'NewReplicaSetCreated',
              message: `Created new replica set "${rsName}"`,
            },
            { lastUpdateTime: now },
          );
        } else if (
          countsChanged ||
          progressing.reason === 'NewReplicaSetAvailable' ||
          (o.metadata.generation ?? 0) > (previous.observedGeneration ?? 0)
        ) {
          setCondition(
            next,
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
              message: `ReplicaSet "${rsName}" is progressing.`,
            },
            { lastUpdateTime: now },
          );
        } else if (progressing.reason !== 'ProgressDeadlineExceeded') {
          const deadline = (o.spec.progressDeadlineSeconds ?? 600) * 1000;
          const since = Date.parse(
            progressing.lastUpdateTime ?? progressing.lastTransitionTime,
          );
          if (Date.now() - since >= deadline) {
            setCondition(
              next,
              {
                type: 'Progressing',
                status: 'False',
                reason: 'ProgressDeadlineExceeded',
                message: `ReplicaSet "${rsName}" has timed out progressing.`,
              },
              { lastUpdateTime: now },
            );
            this.events.record(
              dep,
              'Warning',
              'ProgressDeadlineExceeded',
              `Deployment "${name}" has timed out progressing.`,
              'deployment-controller',
            );
          }
        }
        // Conditions in the order the real controller writes them.
        next.conditions.sort(
          (a: any, b: any) =>
            Number(b.type === 'Available') - Number(a.type === 'Available'),
        );
        o.status = next;
      },
      { status: true },
    );

    if (!complete) {
      const deadline = (dep.spec.progressDeadlineSeconds ?? 600) * 1000;
      this.timers.once(
        `deployment-deadline:${key}`,
        Math.min(deadline + 100, 2 ** 31 - 1),
        () => this.deployQueue.add(key),
      );
    }
  }

  private rollingUpdate(
    dep: KubeObject,
    newRS: KubeObject,
    old: KubeObject[],
    replicas: number,
    maxSurge: number,
    maxUnavailable: number,
  ) {
    const specOf = (rs: KubeObject) => rs.spec.replicas ?? 0;
    // Scale the new ReplicaSet up as far as maxSurge allows.
    const total = specOf(newRS) + old.reduce((n, rs) => n + specOf(rs), 0);
    let target = specOf(newRS);
    if (specOf(newRS) > replicas) target = replicas;
    else if (specOf(newRS) < replicas) {
      target = Math.min(
        replicas,
        specOf(newRS) + Math.max(0, replicas + maxSurge - total),
      );
    }
    newRS = this.scaleReplicaSet(dep, newRS, target);

    // Scale old ReplicaSets down without going below replicas - maxUnavailable available.
    const allPods = specOf(newRS) + old.reduce((n, rs) => n + specOf(rs), 0);
    const minAvailable = replicas - maxUnavailable;
    const newUnavailable =
      specOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    let budget = allPods - minAvailable - newUnavailable;
    if (budget <= 0) return;
    const oldest = [...old].sort(
      (a, b) =>
        Date.parse(a.metadata.creationTimestamp!) -
        Date.parse(b.metadata.creationTimestamp!),
    );
    // Unhealthy old replicas go first: they do not count towards availability.
    for (const rs of oldest) {
      if (budget <= 0) break;
      const unhealthy = specOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0) continue;
      const cut = Math.min(budget, unhealthy);
      this.scaleReplicaSet(dep, rs, specOf(rs) - cut);
      budget -= cut;
      rs.spec.replicas = specOf(rs) - cut;
    }
    const totalAvailable =
      (newRS.status?.availableReplicas ?? 0) +
      old.reduce(
        (n, rs) => n + Math.min(specOf(rs), rs.status?.availableReplicas ?? 0),
        0,
      );
    let canScaleDown = Math.min(budget, totalAvailable - minAvailable);
    for (const rs of oldest) {
      if (canScaleDown <= 0) break;
      const cut = Math.min(specOf(rs), canScaleDown);
      if (cut <= 0) continue;
      this.scaleReplicaSet(dep, rs, specOf(rs) - cut);
      canScaleDown -= cut;
    }
  }

  private cleanupHistory(dep: KubeObject) {
    const limit = dep.spec.revisionHistoryLimit ?? 10;
    const hash = templateHash(dep.spec.template);
    const idle = this.ownedReplicaSets(dep)
      .filter(
        rs =>
          rs.metadata.labels?.['pod-template-hash'] !== hash &&
          (rs.spec.replicas ?? 0) === 0 &&
          (rs.status?.replicas ?? 0) === 0,
      )
      .sort(
        (a, b) =>
          Number(a.metadata.annotations?.[REVISION] ?? 0) -
          Number(b.metadata.annotations?.[REVISION] ?? 0),
      );
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      this.registry.delete(this.rs, rs.metadata.namespace, rs.metadata.name);
    }
  }
}
