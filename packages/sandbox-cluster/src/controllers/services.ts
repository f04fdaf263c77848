import { Registry } from '../api/registry';
import { labelSelectorFromMap, matchesLabels } from '../api/selectors';
import { StoreEvent } from '../api/store';
import { KubeObject } from '../api/types';
import { WorkQueue, isPodReady, nsKey, splitKey } from './runtime';

/* eslint-disable no-param-reassign */

/**
 * Services: Endpoints listing the ready pods the
 * selector picks (`addresses`) and the others (`notReadyAddresses`). Taking a pod out of
 * traffic is a label change away.
 */
export class ServiceController {
  private readonly queue: WorkQueue;
  private readonly services;
  private readonly endpoints;
  private readonly pods;

  constructor(private readonly registry: Registry) {
    this.services = registry.typeOf('', 'services');
    this.endpoints = registry.typeOf('', 'endpoints');
    this.pods = registry.typeOf('', 'pods');
    this.queue = new WorkQueue(key => this.sync(key));
  }

  stop() {
    this.queue.stop();
  }

  onEvent(event: StoreEvent) {
    const { resource, object } = event;
    const ns = object.metadata.namespace;
    if (resource === this.services) {
      this.queue.add(nsKey(ns, object.metadata.name));
      return;
    }
    if (resource !== this.pods) return;
    const relevant = (pod?: KubeObject) => pod && pod.status?.podIP;
    if (!relevant(object) && !relevant(event.previous)) return;
    for (const svc of this.registry.store.list(this.services, ns)) {
      const selector = svc.spec?.selector;
      if (!selector) continue;
      const sel = labelSelectorFromMap(selector);
      if (
        matchesLabels(sel, object.metadata.labels) ||
        (event.previous && matchesLabels(sel, event.previous.metadata.labels))
      ) {
        this.queue.add(nsKey(ns, svc.metadata.name));
      }
    }
  }

  private sync(key: string) {
    const [ns, name] = splitKey(key);
    const svc = this.registry.find(this.services, ns, name);
    const existing = this.registry.find(this.endpoints, ns, name);
    if (!svc) {
      if (existing) this.registry.store.remove(this.endpoints, ns, name);
      return;
    }
    if (!svc.spec?.selector) return;
    const sel = labelSelectorFromMap(svc.spec.selector);
    const pods = this.registry.store
      .list(this.pods, ns)
      .filter(
        p =>
          p.status?.podIP &&
          !p.metadata.deletionTimestamp &&
          matchesLabels(sel, p.metadata.labels),
      );
    const address = (p: KubeObject) => ({
      ip: p.status.podIP,
      nodeName: p.spec.nodeName,
      targetRef: {
        kind: 'Pod',
        namespace: ns,
        name: p.metadata.name,
        uid: p.metadata.uid,
      },
    });
    const ready = pods.filter(isPodReady).map(address);
    const notReady = pods.filter(p => !isPodReady(p)).map(address);
    const ports = (svc.spec.ports ?? []).map((p: any) => ({
      ...(p.name ? { name: p.name } : {}),
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
      protocol: p.protocol ?? 'TCP',
    }));
    const subsets =
      pods.length === 0
        ? undefined
        : [
            {
              ...(ready.length ? { addresses: ready } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady } : {}),
              ports,
            },
          ];
    const body = {
      metadata: { name, namespace: ns, labels: { ...svc.metadata.labels } },
      ...(subsets ? { subsets } : {}),
    };
    if (!existing) {
      this.registry.create(this.endpoints, ns, body);
    } else if (JSON.stringify(existing.subsets) !== JSON.stringify(subsets)) {
      this.registry.mutate(this.endpoints, ns, name, o => {
        if (subsets) o.subsets = subsets;
        else delete o.subsets;
      });
    }
  }
}
