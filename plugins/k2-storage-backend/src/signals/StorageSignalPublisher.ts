import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import { LABEL_ENVIRONMENT, LABEL_VOLUME } from '@internal/plugin-k2-common';
import {
  ClusterChange,
  K2ClusterAccess,
  KubeObject,
  serviceKeys,
} from '@internal/plugin-k2-node';
import {
  K2StorageSignal,
  k2StorageSignalChannel,
} from '@internal/plugin-k2-storage-common';

/** At most one signal per service in this window; the last change is never lost. */
export const DEFAULT_SIGNAL_WINDOW_MS = 1000;

/** The changes to one service's volumes since its window opened. */
interface Pending {
  /** The changes' environments; `null` for a change whose environment is unknown. */
  environments: Set<string | null>;
  timer: NodeJS.Timeout;
}

const isVolume = (object: KubeObject | undefined) =>
  !!object?.metadata.labels?.[LABEL_VOLUME];

/**
 * Announces changes to a service's volumes on its Signals channel
 * (`k2-storage:<entity ref>`), so an open Storage tab refetches at once: a volume's PVC
 * added, changed (bound, grown, terminating) or deleted in a watch cache, and the events
 * about it (why it is Pending). Changes are coalesced per service over a window
 * (trailing edge), as the Deploy backend's publisher does. The message carries no data;
 * the tab refetches through the permission-checked API.
 */
export class StorageSignalPublisher {
  readonly #signals: SignalsService;
  readonly #services: { entityRefsFor(kubernetesId: string): string[] };
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #windowMs: number;
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(options: {
    signals: SignalsService;
    /** From the kubernetes-id a PVC is labelled with to the services it belongs to. */
    services: { entityRefsFor(kubernetesId: string): string[] };
    access: K2ClusterAccess;
    logger: LoggerService;
    windowMs?: number;
  }) {
    this.#signals = options.signals;
    this.#services = options.services;
    this.#access = options.access;
    this.#logger = options.logger;
    this.#windowMs = options.windowMs ?? DEFAULT_SIGNAL_WINDOW_MS;
  }

  /** Takes one change of a cluster cache (see `K2ClusterAccess.subscribe`). */
  notify(change: ClusterChange): void {
    let objects: KubeObject[] = [];
    if (change.resource === 'events') {
      // Events carry no service labels: the claim they are about does.
      const involved = change.object.involvedObject;
      if (involved?.kind !== 'PersistentVolumeClaim' || !involved.name) return;
      const claim = this.#access
        .cache(change.cluster)
        .store('persistentvolumeclaims')
        .get(
          involved.namespace ?? change.object.metadata.namespace,
          involved.name,
        );
      if (isVolume(claim)) objects = [claim!];
    } else if (change.resource === 'persistentvolumeclaims') {
      objects = [change.object, change.before].filter((o): o is KubeObject =>
        isVolume(o),
      );
    }
    for (const object of objects) {
      const environment = object.metadata.labels?.[LABEL_ENVIRONMENT] ?? null;
      for (const kubernetesId of serviceKeys(object)) {
        for (const entityRef of this.#services.entityRefsFor(kubernetesId)) {
          this.#add(entityRef, environment);
        }
      }
    }
  }

  /** Drops what is pending and announces nothing more (backend shutdown). */
  stop(): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #add(entityRef: string, environment: string | null) {
    if (this.#stopped) return;
    let pending = this.#pending.get(entityRef);
    if (!pending) {
      const timer = setTimeout(() => this.#publish(entityRef), this.#windowMs);
      pending = { environments: new Set(), timer };
      this.#pending.set(entityRef, pending);
    }
    pending.environments.add(environment);
  }

  #publish(entityRef: string) {
    const pending = this.#pending.get(entityRef);
    if (!pending) return;
    this.#pending.delete(entityRef);
    const message: K2StorageSignal = {};
    const [environment] = pending.environments;
    if (pending.environments.size === 1 && environment) {
      message.environment = environment;
    }
    this.#signals
      .publish<K2StorageSignal>({
        // Everyone subscribed to the channel: the message carries no data (see above).
        recipients: { type: 'broadcast' },
        channel: k2StorageSignalChannel(entityRef),
        message,
      })
      .catch(error =>
        this.#logger.warn(
          `Could not announce a volume change of ${entityRef}: ${error}`,
        ),
      );
  }
}
