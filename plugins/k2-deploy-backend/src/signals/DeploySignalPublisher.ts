import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import { LABEL_ENVIRONMENT } from '@internal/plugin-k2-common';
import {
  K2DeploySignal,
  k2DeploySignalChannel,
} from '@internal/plugin-k2-deploy-common';
import {
  ClusterChange,
  K2ClusterAccess,
  KubeObject,
  serviceKeys,
  WatchedResourceName,
} from '@internal/plugin-k2-node';

/** At most one signal per service in this window; the last change is never lost. */
export const DEFAULT_SIGNAL_WINDOW_MS = 1000;

/** What the runtime view shows, by the kind events name the objects with. */
const RUNTIME_KINDS: Record<string, WatchedResourceName> = {
  Pod: 'pods',
  ReplicaSet: 'replicasets',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
};
const RUNTIME_RESOURCES = new Set<string>(Object.values(RUNTIME_KINDS));

/** The changes to one service since its window opened. */
interface Pending {
  release: boolean;
  /** The changes' environments; `null` for a change whose environment is unknown. */
  environments: Set<string | null>;
  releaseIds: Set<string>;
  timer: NodeJS.Timeout;
}

/**
 * Announces changes to a service on its Signals channel (`k2-deploy:<entity ref>`), so
 * the Deploy tab refetches at once instead of polling: changes in the watch caches to
 * the service's pods, workloads, ReplicaSets, autoscalers and their events, and every
 * change to its releases.
 *
 * Changes are coalesced per service: the first opens a window, the signal goes out when
 * it closes and carries everything that arrived meanwhile (trailing edge), so a busy
 * rollout sends at most one signal per service per window and the last change is never
 * lost.
 *
 * Signals are broadcast: the message names what changed but carries no data, and the
 * tab refetches through the API, which checks the reader's permissions. Each backend
 * replica announces the changes its own caches see, and the releases it moves.
 */
export class DeploySignalPublisher {
  readonly #signals: SignalsService;
  readonly #services: { entityRefsFor(kubernetesId: string): string[] };
  readonly #access: K2ClusterAccess;
  readonly #logger: LoggerService;
  readonly #windowMs: number;
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(options: {
    signals: SignalsService;
    /** From the kubernetes-id an object is labelled with to the services it belongs to. */
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
    let objects: KubeObject[];
    if (change.resource === 'events') {
      // Events carry no service labels: the object they are about does.
      const involved = change.object.involvedObject;
      const resource = RUNTIME_KINDS[involved?.kind ?? ''];
      if (!resource || !involved.name) return;
      const object = this.#access
        .cache(change.cluster)
        .store(resource)
        .get(
          involved.namespace ?? change.object.metadata.namespace,
          involved.name,
        );
      objects = object ? [object] : [];
    } else if (RUNTIME_RESOURCES.has(change.resource)) {
      // The object before the change too: a relabelled object leaves its old service.
      objects = change.before
        ? [change.object, change.before]
        : [change.object];
    } else {
      return;
    }
    for (const object of objects) {
      const environment = object.metadata.labels?.[LABEL_ENVIRONMENT] ?? null;
      for (const kubernetesId of serviceKeys(object)) {
        for (const entityRef of this.#services.entityRefsFor(kubernetesId)) {
          this.#add(entityRef, false, environment);
        }
      }
    }
  }

  /** A release was created or changed (status, reason, approval, progress). */
  releaseChanged(release: {
    id: string;
    service: string;
    environment: string;
  }): void {
    this.#add(release.service, true, release.environment, release.id);
  }

  /** Drops what is pending and announces nothing more (backend shutdown). */
  stop(): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #add(
    entityRef: string,
    release: boolean,
    environment: string | null,
    releaseId?: string,
  ) {
    if (this.#stopped) return;
    let pending = this.#pending.get(entityRef);
    if (!pending) {
      const timer = setTimeout(() => this.#publish(entityRef), this.#windowMs);
      pending = {
        release: false,
        environments: new Set(),
        releaseIds: new Set(),
        timer,
      };
      this.#pending.set(entityRef, pending);
    }
    pending.release ||= release;
    pending.environments.add(environment);
    if (releaseId) pending.releaseIds.add(releaseId);
  }

  #publish(entityRef: string) {
    const pending = this.#pending.get(entityRef);
    if (!pending) return;
    this.#pending.delete(entityRef);
    const message: K2DeploySignal = {
      kind: pending.release ? 'release' : 'runtime',
    };
    const [environment] = pending.environments;
    if (pending.environments.size === 1 && environment) {
      message.environment = environment;
    }
    if (pending.releaseIds.size === 1) {
      message.releaseId = [...pending.releaseIds][0];
    }
    this.#signals
      .publish<K2DeploySignal>({
        // Everyone subscribed to the channel: the message carries no data (see above).
        recipients: { type: 'broadcast' },
        channel: k2DeploySignalChannel(entityRef),
        message,
      })
      .catch(error =>
        this.#logger.warn(
          `Could not announce a change to ${entityRef}: ${error}`,
        ),
      );
  }
}
