import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ALERT_ANNOTATION_DESCRIPTION,
  ALERT_ANNOTATION_SUMMARY,
  ALERT_LABEL_ALERTNAME,
  ALERT_LABEL_CLUSTER,
  ALERT_LABEL_ENTITY,
  ALERT_LABEL_ENVIRONMENT,
  ALERT_LABEL_NAMESPACE,
  ALERT_LABEL_RULE,
  ALERT_LABEL_SERVICE,
  ALERT_LABEL_SEVERITY,
  ALERT_LABEL_TEAM,
  AlertSeverity,
  AlertSignalReason,
  signalRuleKey,
} from '@internal/plugin-k2-alerts-common';
import { K2EnvironmentModel } from '@internal/plugin-k2-common';
import { ClusterChange, K2ClusterAccess } from '@internal/plugin-k2-node';
import { createHash } from 'crypto';
import { IncomingAlert } from '../incidents/IncidentStore';
import { podSignals } from './podSignals';
import { PodService, podServiceOf, ServiceClaimants } from './podService';

/** How each signal reads as an alert. */
const SIGNALS: Record<
  AlertSignalReason,
  { alertname: string; severity: AlertSeverity; summary: string }
> = {
  oomkilled: {
    alertname: 'ContainerOOMKilled',
    severity: 'critical',
    summary: 'a container was killed out of memory (OOMKilled)',
  },
  'error-exit': {
    alertname: 'ContainerErrorExit',
    severity: 'warning',
    summary: 'a container ended with an error and was restarted',
  },
  crashloop: {
    alertname: 'ContainerCrashLooping',
    severity: 'critical',
    summary: 'a container is crash-looping (CrashLoopBackOff)',
  },
  'failed-scheduling': {
    alertname: 'PodFailedScheduling',
    severity: 'warning',
    summary: 'a pod cannot be scheduled',
  },
  readiness: {
    alertname: 'PodNotReady',
    severity: 'warning',
    summary: 'a running pod is not ready',
  },
};

/** Where a pod belongs: its service in one environment, in one cluster. */
interface PodOwner extends PodService {
  cluster: string;
}

interface PodState {
  owner: PodOwner;
  states: AlertSignalReason[];
  notReadySince?: number;
}

/** One (service, environment, reason): when it was last seen, and its alert. */
interface Signal {
  owner: PodOwner;
  reason: AlertSignalReason;
  firstSeen: number;
  lastSeen: number;
  pods: Set<string>;
  clusters: Set<string>;
  firing?: IncomingAlert;
}

/** Where signals go: the intake, as one delivery per pass. */
export interface SignalSink {
  record(alerts: IncomingAlert[], source: 'kubernetes'): Promise<unknown>;
}

/** The catalog and environments as the signals need them. */
export interface SignalServices extends ServiceClaimants {
  get(ref: CompoundEntityRef): Promise<Entity | undefined>;
}

/**
 * Kubernetes signals from the watch caches, converged: however many pods and events
 * show a condition, one alert per (service, environment, reason) fires while it holds
 * and resolves once it has not been seen for `windowMs`.
 *
 * Each pod change is reduced at once to what the pod tells ({@link podSignals}); a
 * pass every `intervalMs` folds the pods into signals and writes only what changed
 * (a signal that starts firing or resolves), in one delivery. An alert's fingerprint
 * is that of (service, environment, reason) and its start the beginning of the window
 * it was first seen in, so every backend replica converging the same clusters writes
 * the same alert, which the store keeps once.
 */
export class KubernetesSignals {
  readonly #access: K2ClusterAccess;
  readonly #services: SignalServices;
  readonly #model: K2EnvironmentModel;
  readonly #sink: SignalSink;
  readonly #logger: LoggerService;
  readonly #windowMs: number;
  readonly #readinessGraceMs: number;
  /** Pods that show a lasting condition, by cluster and uid. */
  readonly #pods = new Map<string, PodState>();
  readonly #signals = new Map<string, Signal>();
  #timer?: NodeJS.Timeout;
  #unsubscribe?: () => void;
  #passing = Promise.resolve();

  constructor(options: {
    access: K2ClusterAccess;
    services: SignalServices;
    model: K2EnvironmentModel;
    sink: SignalSink;
    logger: LoggerService;
    windowMs: number;
    readinessGraceMs: number;
  }) {
    this.#access = options.access;
    this.#services = options.services;
    this.#model = options.model;
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#windowMs = options.windowMs;
    this.#readinessGraceMs = options.readinessGraceMs;
  }

  /**
   * Resumes the signal alerts still firing (they resolve after a window unless seen
   * again), follows every cluster's pods and events, and passes every `intervalMs`.
   */
  start(firing: IncomingAlert[], intervalMs: number) {
    const now = Date.now();
    for (const alert of firing) {
      const reason = alert.ruleKey.replace(/^signal:/, '') as AlertSignalReason;
      if (!SIGNALS[reason]) continue;
      const owner: PodOwner = {
        entityRef: alert.entityRef,
        environment: alert.environment,
        namespace: alert.labels[ALERT_LABEL_NAMESPACE] ?? '',
        cluster: alert.cluster ?? '',
      };
      this.#signals.set(signalKey(owner, reason), {
        owner,
        reason,
        firstSeen: Date.parse(alert.startsAt),
        lastSeen: now,
        pods: new Set(),
        clusters: new Set(alert.cluster ? [alert.cluster] : []),
        firing: alert,
      });
    }
    this.#unsubscribe = this.#access.subscribe(change => this.notify(change));
    this.#timer = setInterval(() => {
      this.pass().catch(error =>
        this.#logger.error(`Kubernetes signals pass failed: ${error}`),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  async stop() {
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    await this.#passing;
  }

  /** Takes one change of a cluster cache: pods of K2 services, and their events. */
  notify(change: ClusterChange): void {
    if (change.resource === 'events') {
      const event = change.object;
      if (event.reason !== 'FailedScheduling') return;
      if (event.involvedObject?.kind !== 'Pod') return;
      const pod = this.#access
        .cache(change.cluster)
        .store('pods')
        .get(
          event.involvedObject.namespace ?? event.metadata.namespace,
          event.involvedObject.name,
        );
      const owner = pod && this.#owner(change.cluster, pod);
      const at = Date.parse(event.lastTimestamp ?? '') || Date.now();
      if (owner && pod) {
        this.#seen(owner, 'failed-scheduling', at, pod.metadata.name);
      }
      return;
    }
    if (change.resource !== 'pods') return;
    const pod = change.object;
    const id = `${change.cluster}/${pod.metadata.uid ?? pod.metadata.name}`;
    const owner =
      change.type === 'DELETED' ? undefined : this.#owner(change.cluster, pod);
    if (!owner) {
      this.#pods.delete(id);
      return;
    }
    const signals = podSignals(pod);
    const oldest = Date.now() - this.#windowMs;
    for (const ended of signals.ended) {
      if (ended.at >= oldest) {
        this.#seen(owner, ended.reason, ended.at, pod.metadata.name);
      }
    }
    if (signals.states.length || signals.notReadySince !== undefined) {
      this.#pods.set(id, {
        owner,
        states: signals.states,
        notReadySince: signals.notReadySince,
      });
    } else {
      this.#pods.delete(id);
    }
  }

  /**
   * Folds the pods' lasting conditions into the signals, then writes the alerts that
   * start firing and those that resolve, in one delivery. Passes never overlap.
   */
  pass(now = Date.now()): Promise<void> {
    this.#passing = this.#passing.then(() => this.#pass(now));
    return this.#passing;
  }

  async #pass(now: number) {
    for (const [id, pod] of this.#pods) {
      const name = id.slice(id.indexOf('/') + 1);
      for (const reason of pod.states) this.#seen(pod.owner, reason, now, name);
      if (
        pod.notReadySince !== undefined &&
        now - pod.notReadySince >= this.#readinessGraceMs
      ) {
        this.#seen(pod.owner, 'readiness', now, name);
      }
    }
    const changes: IncomingAlert[] = [];
    const done: string[] = [];
    for (const [key, signal] of this.#signals) {
      const quiet = now - signal.lastSeen > this.#windowMs;
      if (signal.firing && quiet) {
        changes.push({
          ...signal.firing,
          status: 'resolved',
          endsAt: new Date(now).toISOString(),
        });
        done.push(key);
      } else if (!signal.firing && quiet) {
        done.push(key);
      } else if (!signal.firing) {
        const alert = await this.#alert(signal);
        if (alert) {
          signal.firing = alert;
          changes.push(alert);
        }
      }
    }
    if (changes.length === 0) {
      done.forEach(key => this.#signals.delete(key));
      return;
    }
    try {
      await this.#sink.record(changes, 'kubernetes');
      done.forEach(key => this.#signals.delete(key));
    } catch (error) {
      // Unwritten: the next pass writes the same alerts again (same keys).
      for (const alert of changes) {
        if (alert.status === 'firing') {
          const signal = this.#signals.get(
            signalKey(
              { entityRef: alert.entityRef, environment: alert.environment },
              alert.ruleKey.replace(/^signal:/, '') as AlertSignalReason,
            ),
          );
          if (signal) signal.firing = undefined;
        }
      }
      throw error;
    }
  }

  #seen(owner: PodOwner, reason: AlertSignalReason, at: number, pod: string) {
    const key = signalKey(owner, reason);
    let signal = this.#signals.get(key);
    if (!signal) {
      signal = {
        owner,
        reason,
        firstSeen: at,
        lastSeen: at,
        pods: new Set(),
        clusters: new Set(),
      };
      this.#signals.set(key, signal);
    }
    signal.lastSeen = Math.max(signal.lastSeen, at);
    signal.firstSeen = Math.min(signal.firstSeen, at);
    signal.pods.add(pod);
    signal.clusters.add(owner.cluster);
  }

  /** The pod's service and environment, when it is a K2 service's pod. */
  #owner(cluster: string, pod: ClusterChange['object']): PodOwner | undefined {
    const service = podServiceOf(this.#services, this.#model, pod);
    return service && { ...service, cluster };
  }

  /** The firing alert of a signal, labelled as every K2 alert is. */
  async #alert(signal: Signal): Promise<IncomingAlert | undefined> {
    const { owner, reason } = signal;
    const entity = await this.#services.get(parseEntityRef(owner.entityRef));
    if (!entity) return undefined;
    const ref = stringifyEntityRef(entity);
    const meta = SIGNALS[reason];
    const windowStart =
      Math.floor(signal.firstSeen / this.#windowMs) * this.#windowMs;
    const owners = entity.spec?.owner;
    const team =
      typeof owners === 'string'
        ? stringifyEntityRef(
            parseEntityRef(owners, {
              defaultKind: 'group',
              defaultNamespace: entity.metadata.namespace ?? 'default',
            }),
          )
        : '';
    const clusters = [...signal.clusters].sort();
    const labels: Record<string, string> = {
      [ALERT_LABEL_ALERTNAME]: meta.alertname,
      [ALERT_LABEL_ENTITY]: ref,
      [ALERT_LABEL_SERVICE]: entity.metadata.name,
      [ALERT_LABEL_RULE]: signalRuleKey(reason),
      [ALERT_LABEL_ENVIRONMENT]: owner.environment,
      [ALERT_LABEL_CLUSTER]: clusters[0] ?? owner.cluster,
      [ALERT_LABEL_NAMESPACE]: owner.namespace,
      [ALERT_LABEL_TEAM]: team,
      [ALERT_LABEL_SEVERITY]: meta.severity,
    };
    const pods = [...signal.pods].sort();
    return {
      fingerprint: createHash('sha256')
        .update(signalKey(owner, reason))
        .digest('hex')
        .slice(0, 16),
      startsAt: new Date(windowStart).toISOString(),
      status: 'firing',
      labels,
      annotations: {
        [ALERT_ANNOTATION_SUMMARY]: `${entity.metadata.name} in ${owner.environment}: ${meta.summary}`,
        [ALERT_ANNOTATION_DESCRIPTION]: `Seen on ${pods.length} pod(s) (${pods
          .slice(0, 5)
          .join(', ')}${
          pods.length > 5 ? ', ...' : ''
        }) in cluster(s) ${clusters.join(
          ', ',
        )}; one alert per service, environment and reason, resolved after ${Math.round(
          this.#windowMs / 1000,
        )} s without it.`,
      },
      entityRef: owner.entityRef,
      environment: owner.environment,
      ruleKey: signalRuleKey(reason),
      cluster: labels[ALERT_LABEL_CLUSTER],
      severity: meta.severity,
      source: 'kubernetes',
    };
  }
}

function signalKey(
  owner: Pick<PodOwner, 'entityRef' | 'environment'>,
  reason: AlertSignalReason,
): string {
  return `${owner.entityRef}|${owner.environment}|${reason}`;
}
