import { LoggerService } from '@backstage/backend-plugin-api';
import { LABEL_SERVICE } from '@internal/plugin-k2-common';
import {
  ClusterCache,
  ClusterChange,
  K2ClusterAccess,
  KubeObject,
} from '@internal/plugin-k2-node';
import { EndedContainer, InstanceStore } from '../database/InstanceStore';
import { eventView } from '../runtime/views';
import {
  classifyPodEnd,
  PodEnd,
  PodOwners,
  podEndRuns,
  restartedRuns,
} from './endings';

/** Events kept with a historical container, newest first. */
const EVENTS_KEPT = 10;
/** How often recorded runs are written, in one batch. */
const FLUSH_MS = 500;

/**
 * Records historical containers from the watch caches: a container run that the kubelet
 * restarted (crash, OOM kill), and every run of a pod that was evicted or disappeared,
 * with why it ended and the pod's last events. Each backend replica records the same
 * runs under the same ids; the store keeps the first.
 */
export class InstanceTracker {
  readonly #access: K2ClusterAccess;
  readonly #store: InstanceStore;
  readonly #logger: LoggerService;
  /** Why a terminating pod ends, decided when it started terminating; by pod uid. */
  readonly #ending = new Map<string, PodEnd>();
  #queue: EndedContainer[] = [];
  #timer?: NodeJS.Timeout;
  #flushing = Promise.resolve();

  constructor(options: {
    access: K2ClusterAccess;
    store: InstanceStore;
    logger: LoggerService;
  }) {
    this.#access = options.access;
    this.#store = options.store;
    this.#logger = options.logger;
  }

  /** Takes one change of a cluster cache; only K2 services' pods matter. */
  notify(change: ClusterChange): void {
    if (change.resource !== 'pods') return;
    const pod = change.object;
    if (!pod.metadata.labels?.[LABEL_SERVICE]) return;
    const cache = this.#access.cache(change.cluster);
    const uid =
      pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;

    if (change.type === 'MODIFIED' && change.before) {
      // Most changes restart nothing; the events are looked up only when one did.
      const restarted = restartedRuns(change.cluster, change.before, pod);
      if (restarted.length) {
        const events = this.#events(cache, pod);
        this.#enqueue(restarted.map(run => ({ ...run, events })));
      }
      const evicted =
        pod.status?.reason === 'Evicted' &&
        change.before.status?.reason !== 'Evicted';
      if (evicted) {
        this.#enqueue(this.#ended(cache, change.cluster, pod));
      } else if (
        pod.metadata.deletionTimestamp &&
        !change.before.metadata.deletionTimestamp
      ) {
        // Decide now, while the owners still look as they did when it was deleted.
        this.#ending.set(uid, classifyPodEnd(pod, this.#owners(cache, pod)));
      }
    } else if (change.type === 'DELETED') {
      const end =
        this.#ending.get(uid) ?? classifyPodEnd(pod, this.#owners(cache, pod));
      this.#ending.delete(uid);
      this.#enqueue(this.#ended(cache, change.cluster, pod, end));
    }
  }

  #ended(
    cache: ClusterCache,
    cluster: string,
    pod: KubeObject,
    end = classifyPodEnd(pod, this.#owners(cache, pod)),
  ): EndedContainer[] {
    return podEndRuns(
      cluster,
      pod,
      end,
      this.#events(cache, pod),
      new Date().toISOString(),
    );
  }

  #events(cache: ClusterCache, pod: KubeObject) {
    return cache
      .eventsFor('Pod', pod.metadata.namespace!, pod.metadata.name)
      .map(eventView)
      .sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''))
      .slice(0, EVENTS_KEPT);
  }

  #owners(cache: ClusterCache, pod: KubeObject): PodOwners {
    const namespace = pod.metadata.namespace!;
    const owner = pod.metadata.ownerReferences?.find(o => o.controller);
    if (owner?.kind !== 'ReplicaSet') return { liveSiblings: 0 };
    const rs = cache.store('replicasets').get(namespace, owner.name);
    const rsOwner = rs?.metadata.ownerReferences?.find(o => o.controller);
    const deployment =
      rsOwner?.kind === 'Deployment'
        ? cache.store('deployments').get(namespace, rsOwner.name)
        : undefined;
    const liveSiblings = cache
      .byService('pods', pod.metadata.labels![LABEL_SERVICE])
      .filter(
        p =>
          p.metadata.uid !== pod.metadata.uid &&
          p.metadata.namespace === namespace &&
          !p.metadata.deletionTimestamp &&
          p.metadata.ownerReferences?.some(o => o.name === owner.name),
      ).length;
    return { deployment, replicas: rs?.spec?.replicas, liveSiblings };
  }

  #enqueue(runs: EndedContainer[]) {
    if (runs.length === 0) return;
    this.#queue.push(...runs);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  /** Writes what is queued; resolves when everything queued so far is stored. */
  flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#flushing = this.#flushing.then(async () => {
      try {
        await this.#store.record(batch);
      } catch (error) {
        this.#logger.error(
          `Could not record ${batch.length} historical containers: ${error}`,
        );
      }
    });
    return this.#flushing;
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
