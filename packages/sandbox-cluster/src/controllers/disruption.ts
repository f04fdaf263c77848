import { Registry } from '../api/registry';
import { labelSelectorFromObject, matchesLabels } from '../api/selectors';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import { nowTimestamp } from '../api/defaults';
import {
  WorkQueue,
  controllerOf,
  isPodReady,
  nsKey,
  splitKey,
} from './runtime';

/* eslint-disable no-param-reassign */

/** The workloads whose scale says how many pods a budget expects. */
const SCALED = new Map([
  ['StatefulSet', ['apps', 'statefulsets']],
  ['ReplicaSet', ['apps', 'replicasets']],
]);

/** `3` or `"50%"` of `total`, rounded up as Kubernetes rounds both fields. */
function countOf(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  return percent ? Math.ceil((total * Number(percent[1])) / 100) : 0;
}

/**
 * The disruption controller: each PodDisruptionBudget's status from the pods its
 * selector picks, as Kubernetes computes it. `expectedPods` is the scale of the pods'
 * controllers (StatefulSets, ReplicaSets), or the number of pods when they have none;
 * `currentHealthy` counts the ready ones; `desiredHealthy` is `minAvailable`, or
 * expected minus `maxUnavailable` (percentages of expected, rounded up);
 * `disruptionsAllowed` is what is healthy beyond that, never below 0, with the
 * `DisruptionAllowed` condition saying whether an eviction may go ahead.
 */
export class DisruptionController {
  private readonly queue: WorkQueue;
  private readonly budgets;
  private readonly pods;

  constructor(private readonly registry: Registry) {
    this.budgets = registry.typeOf('policy', 'poddisruptionbudgets');
    this.pods = registry.typeOf('', 'pods');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    const { resource, object } = event;
    const ns = object.metadata.namespace;
    if (resource === this.budgets) {
      if (event.type !== 'DELETED') {
        this.queue.add(nsKey(ns, object.metadata.name));
      }
      return;
    }
    if (resource !== this.pods) return;
    for (const budget of this.registry.store.list(this.budgets, ns)) {
      const selector = labelSelectorFromObject(budget.spec?.selector);
      if (
        matchesLabels(selector, object.metadata.labels) ||
        (event.previous &&
          matchesLabels(selector, event.previous.metadata.labels))
      ) {
        this.queue.add(nsKey(ns, budget.metadata.name));
      }
    }
  }

  private expected(ns: string | undefined, pods: KubeObject[]): number {
    const owners = new Map<string, number>();
    let unowned = 0;
    for (const pod of pods) {
      const owner = controllerOf(pod);
      const type = owner && SCALED.get(owner.kind);
      if (!owner || !type) {
        unowned += 1;
        continue;
      }
      const live = this.registry.find(
        this.registry.typeOf(type[0], type[1]),
        ns,
        owner.name,
      );
      owners.set(`${owner.kind}/${owner.name}`, live?.spec?.replicas ?? 1);
    }
    return [...owners.values()].reduce((a, b) => a + b, unowned);
  }

  private sync(key: string) {
    const [ns, name] = splitKey(key);
    const budget = this.registry.find(this.budgets, ns, name);
    if (!budget) return;
    const selector = labelSelectorFromObject(budget.spec?.selector);
    const pods = this.registry.store
      .list(this.pods, ns)
      .filter(
        p =>
          !p.metadata.deletionTimestamp &&
          matchesLabels(selector, p.metadata.labels),
      );
    const expectedPods = this.expected(ns, pods);
    const currentHealthy = pods.filter(isPodReady).length;
    const { minAvailable, maxUnavailable } = budget.spec ?? {};
    const desiredHealthy = Math.max(
      0,
      minAvailable !== undefined
        ? countOf(minAvailable, expectedPods)
        : expectedPods - countOf(maxUnavailable ?? 0, expectedPods),
    );
    const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
    const status = {
      observedGeneration: budget.metadata.generation,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
    };
    const previous = budget.status ?? {};
    if (
      Object.entries(status).every(
        ([k, v]) => previous[k as keyof typeof previous] === v,
      )
    ) {
      return;
    }
    const allowed = disruptionsAllowed > 0;
    const was = (previous.conditions ?? []).find(
      (c: any) => c.type === 'DisruptionAllowed',
    );
    const condition = {
      type: 'DisruptionAllowed',
      status: allowed ? 'True' : 'False',
      reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: budget.metadata.generation,
      lastTransitionTime:
        was && was.status === (allowed ? 'True' : 'False')
          ? was.lastTransitionTime
          : nowTimestamp(),
    };
    this.registry.mutate(
      this.budgets,
      ns,
      name,
      o => {
        o.status = { ...status, conditions: [condition] };
      },
      { status: true },
    );
  }
}
