import { templateHash } from '../api/defaults';
import { Registry } from '../api/registry';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import {
  EventRecorder,
  WorkQueue,
  controllerOf,
  isPodActive,
  isPodAvailable,
  isPodReady,
  nsKey,
  ownerRef,
  splitKey,
} from './runtime';
import { randomSuffix } from '../api/defaults';

/* eslint-disable no-param-reassign */

const REVISION_LABEL = 'controller-revision-hash';

/**
 * StatefulSets (ordered pods `<name>-<ordinal>`, one at a time, each waiting for the
 * previous to be ready; PVCs from volumeClaimTemplates; rolling updates from the highest
 * ordinal down) and DaemonSets (one pod per schedulable node).
 */
export class StatefulControllers {
  private readonly queue: WorkQueue;
  private readonly sts;
  private readonly ds;
  private readonly pods;
  private readonly pvcs;
  private readonly nodes;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventRecorder,
  ) {
    this.sts = registry.typeOf('apps', 'statefulsets');
    this.ds = registry.typeOf('apps', 'daemonsets');
    this.pods = registry.typeOf('', 'pods');
    this.pvcs = registry.typeOf('', 'persistentvolumeclaims');
    this.nodes = registry.typeOf('', 'nodes');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    const { resource, object } = event;
    if (resource === this.sts)
      this.queue.add(
        `sts|${nsKey(object.metadata.namespace, object.metadata.name)}`,
      );
    else if (resource === this.ds)
      this.queue.add(
        `ds|${nsKey(object.metadata.namespace, object.metadata.name)}`,
      );
    else if (resource === this.nodes) {
      for (const ds of this.registry.store.list(this.ds)) {
        this.queue.add(`ds|${nsKey(ds.metadata.namespace, ds.metadata.name)}`);
      }
    } else if (resource === this.pods) {
      const owner =
        controllerOf(object) ??
        (event.previous && controllerOf(event.previous));
      if (owner?.kind === 'StatefulSet')
        this.queue.add(`sts|${nsKey(object.metadata.namespace, owner.name)}`);
      if (owner?.kind === 'DaemonSet')
        this.queue.add(`ds|${nsKey(object.metadata.namespace, owner.name)}`);
    }
  }

  private owned(owner: KubeObject) {
    return this.registry.store
      .dependentsOf(owner.metadata.uid!)
      .filter(d => d.resource === '/pods')
      .map(d => this.registry.store.getByKey(d.resource, d.key))
      .filter((p): p is KubeObject => p !== undefined);
  }

  private sync(key: string) {
    const [kind, rest] = key.split('|');
    const [ns, name] = splitKey(rest);
    if (kind === 'sts') this.syncStatefulSet(ns!, name);
    else this.syncDaemonSet(ns!, name);
  }

  private podFor(
    owner: KubeObject,
    name: string,
    revision: string,
    extra: Record<string, string>,
    nodeName?: string,
  ) {
    const template = owner.spec.template ?? {};
    const spec = structuredClone(template.spec);
    if (nodeName) spec.nodeName = nodeName;
    return {
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels: {
          ...template.metadata?.labels,
          [REVISION_LABEL]: revision,
          ...extra,
        },
        ...(template.metadata?.annotations
          ? { annotations: { ...template.metadata.annotations } }
          : {}),
        ownerReferences: [ownerRef(owner)],
      },
      spec,
    };
  }

  private syncStatefulSet(ns: string, name: string) {
    const sts = this.registry.find(this.sts, ns, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const revision = `${name}-${templateHash(sts.spec.template)}`;
    const replicas = sts.spec.replicas ?? 1;
    const pods = new Map(this.owned(sts).map(p => [p.metadata.name, p]));
    const parallel = sts.spec.podManagementPolicy === 'Parallel';

    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      const pod = pods.get(podName);
      if (!pod) {
        for (const tpl of sts.spec.volumeClaimTemplates ?? []) {
          const claim = `${tpl.metadata?.name}-${podName}`;
          if (!this.registry.find(this.pvcs, ns, claim)) {
            this.registry.create(this.pvcs, ns, {
              metadata: {
                name: claim,
                namespace: ns,
                labels: { ...sts.spec.selector?.matchLabels },
              },
              spec: structuredClone(tpl.spec),
            });
            this.events.record(
              sts,
              'Normal',
              'SuccessfulCreate',
              `create Claim ${claim} Pod ${podName} in StatefulSet ${name} success`,
              'statefulset-controller',
            );
          }
        }
        const body = this.podFor(sts, podName, revision, {
          'statefulset.kubernetes.io/pod-name': podName,
          'apps.kubernetes.io/pod-index': String(i),
        });
        body.spec.hostname = podName;
        if (sts.spec.serviceName) body.spec.subdomain = sts.spec.serviceName;
        body.spec.volumes = [
          ...(body.spec.volumes ?? []),
          ...(sts.spec.volumeClaimTemplates ?? []).map((tpl: any) => ({
            name: tpl.metadata?.name,
            persistentVolumeClaim: {
              claimName: `${tpl.metadata?.name}-${podName}`,
            },
          })),
        ];
        this.registry.create(this.pods, ns, body);
        this.events.record(
          sts,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${podName} in StatefulSet ${name} successful`,
          'statefulset-controller',
        );
        if (!parallel) break;
        continue;
      }
      if (!parallel && (!isPodReady(pod) || pod.metadata.deletionTimestamp))
        break;
    }
    // Scale down from the highest ordinal, one at a time: with OrderedReady the next
    // pod is deleted only once the previous one has terminated (is gone).
    const condemned = [...pods.values()].filter(
      p => Number(p.metadata.name.slice(name.length + 1)) >= replicas,
    );
    const awaitingTermination =
      !parallel && condemned.some(p => p.metadata.deletionTimestamp);
    const extra = condemned
      .filter(p => !p.metadata.deletionTimestamp)
      .sort(
        (a, b) =>
          Number(b.metadata.name.slice(name.length + 1)) -
          Number(a.metadata.name.slice(name.length + 1)),
      );
    if (awaitingTermination) {
      // Wait for the terminating pod to go before touching any other.
    } else if (extra.length > 0) {
      this.registry.delete(this.pods, ns, extra[0].metadata.name);
      this.events.record(
        sts,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${extra[0].metadata.name} in StatefulSet ${name} successful`,
        'statefulset-controller',
      );
    } else if (
      (sts.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
    ) {
      // Rolling update: replace the highest-ordinal outdated pod once all are ready.
      const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      const current = [...pods.values()].filter(
        p => Number(p.metadata.name.slice(name.length + 1)) < replicas,
      );
      const allReady =
        current.length === replicas &&
        current.every(p => isPodReady(p) && !p.metadata.deletionTimestamp);
      const outdated = current
        .filter(
          p =>
            p.metadata.labels?.[REVISION_LABEL] !== revision &&
            Number(p.metadata.name.slice(name.length + 1)) >= partition,
        )
        .sort(
          (a, b) =>
            Number(b.metadata.name.slice(name.length + 1)) -
            Number(a.metadata.name.slice(name.length + 1)),
        );
      if (allReady && outdated.length > 0) {
        this.registry.delete(this.pods, ns, outdated[0].metadata.name);
        this.events.record(
          sts,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${outdated[0].metadata.name} in StatefulSet ${name} successful`,
          'statefulset-controller',
        );
      }
    }
    const live = this.owned(sts).filter(isPodActive);
    const updated = live.filter(
      p => p.metadata.labels?.[REVISION_LABEL] === revision,
    );
    const allUpdated = updated.length === replicas && live.length === replicas;
    this.registry.mutate(
      this.sts,
      ns,
      name,
      o => {
        const previous = o.status ?? {};
        o.status = {
          observedGeneration: o.metadata.generation,
          replicas: live.length,
          readyReplicas: live.filter(isPodReady).length,
          currentReplicas: allUpdated
            ? updated.length
            : live.length - updated.length,
          updatedReplicas: updated.length,
          availableReplicas: live.filter(p =>
            isPodAvailable(p, o.spec.minReadySeconds ?? 0),
          ).length,
          currentRevision: allUpdated
            ? revision
            : previous.currentRevision ?? revision,
          updateRevision: revision,
          collisionCount: 0,
        };
        if (!o.status.readyReplicas) delete o.status.readyReplicas;
      },
      { status: true },
    );
  }

  private syncDaemonSet(ns: string, name: string) {
    const ds = this.registry.find(this.ds, ns, name);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const revision = templateHash(ds.spec.template);
    const selector: Record<string, string> =
      ds.spec.template?.spec?.nodeSelector ?? {};
    const nodes = this.registry.store
      .list(this.nodes)
      .filter(
        n =>
          !n.spec?.unschedulable &&
          Object.entries(selector).every(
            ([k, v]) => n.metadata.labels?.[k] === v,
          ),
      );
    const pods = this.owned(ds).filter(isPodActive);
    const byNode = new Map(pods.map(p => [p.spec.nodeName, p]));
    let budget = 1;
    for (const node of nodes) {
      const pod = byNode.get(node.metadata.name);
      if (!pod) {
        const body = this.podFor(
          ds,
          `${name}-${randomSuffix()}`,
          revision,
          {},
          node.metadata.name,
        );
        this.registry.create(this.pods, ns, body);
        this.events.record(
          ds,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${body.metadata.name}`,
          'daemonset-controller',
        );
      } else if (
        pod.metadata.labels?.[REVISION_LABEL] !== revision &&
        budget > 0 &&
        pods.every(isPodReady)
      ) {
        budget--;
        this.registry.delete(this.pods, ns, pod.metadata.name);
        this.events.record(
          ds,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${pod.metadata.name}`,
          'daemonset-controller',
        );
      }
    }
    const nodeNames = new Set(nodes.map(n => n.metadata.name));
    for (const pod of pods) {
      if (!nodeNames.has(pod.spec.nodeName))
        this.registry.delete(this.pods, ns, pod.metadata.name);
    }
    const live = this.owned(ds).filter(isPodActive);
    this.registry.mutate(
      this.ds,
      ns,
      name,
      o => {
        o.status = {
          currentNumberScheduled: live.length,
          numberMisscheduled: 0,
          desiredNumberScheduled: nodes.length,
          numberReady: live.filter(isPodReady).length,
          observedGeneration: o.metadata.generation,
          updatedNumberScheduled: live.filter(
            p => p.metadata.labels?.[REVISION_LABEL] === revision,
          ).length,
          numberAvailable: live.filter(p =>
            isPodAvailable(p, o.spec.minReadySeconds ?? 0),
          ).length,
        };
        const unavailable = nodes.length - o.status.numberAvailable;
        if (unavailable > 0) o.status.numberUnavailable = unavailable;
      },
      { status: true },
    );
  }
}
