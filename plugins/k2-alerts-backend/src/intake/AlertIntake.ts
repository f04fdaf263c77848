import { LifecycleService, LoggerService } from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ALERT_LABEL_ALERTNAME,
  ALERT_LABEL_CLUSTER,
  ALERT_LABEL_ENTITY,
  ALERT_LABEL_ENVIRONMENT,
  ALERT_LABEL_RULE,
  ALERT_LABEL_SEVERITY,
  ALERT_SEVERITIES,
  AlertSeverity,
} from '@internal/plugin-k2-alerts-common';
import { isK2Service, K2NewActivity } from '@internal/plugin-k2-common';
import { K2ActivityLog } from '@internal/plugin-k2-node';
import {
  ChangeSource,
  Incident,
  IncidentStore,
  IncomingAlert,
} from '../incidents/IncidentStore';
import { AlertmanagerAlert } from './payload';

/** The least time between two hand-overs of opened incidents to routing. */
const OPENED_BATCH_MS = 200;

/** What one webhook call did. */
export interface WebhookResult {
  received: number;
  recorded: number;
  duplicates: number;
}

/** The K2 service catalog as intake needs it: an entity by ref, or none. */
export interface IntakeServices {
  get(ref: CompoundEntityRef): Promise<Entity | undefined>;
}

/** An alert's `severity` label as K2 knows it; anything else counts as a warning. */
function severityOf(value: string | undefined): AlertSeverity {
  return (ALERT_SEVERITIES as readonly string[]).includes(value ?? '')
    ? (value as AlertSeverity)
    : 'warning';
}

/**
 * Intake of alerts into the incident store: Alertmanager's webhook calls and K2's
 * own Kubernetes signals. Only alerts of K2 services are recorded: an alert without
 * `k2_entity` and `environment`, or whose `k2_entity` is not a K2 service in the
 * catalog, is counted as received and dropped. An incident that opens or resolves is
 * written to the service's activity log; single alerts are history only.
 */
export class AlertIntake {
  readonly #store: IncidentStore;
  readonly #services: IntakeServices;
  readonly #activity: K2ActivityLog;
  readonly #logger: LoggerService;
  readonly #openedListeners: Array<(opened: Incident[]) => void> = [];
  /** Incidents opened and not yet handed to the listeners, and when they will be. */
  #opened: Incident[] = [];
  #openedTimer: ReturnType<typeof setTimeout> | undefined;
  #handedOverAt = 0;
  /** Activity entries not yet handed to the activity log, oldest first. */
  #announcements: K2NewActivity[] = [];
  /** Whether a call to the activity log is in flight (there is at most one). */
  #announcing = false;

  constructor(options: {
    store: IncidentStore;
    services: IntakeServices;
    activity: K2ActivityLog;
    logger: LoggerService;
    /** When given, the entries still waiting at shutdown are written at once then. */
    lifecycle?: LifecycleService;
  }) {
    this.#store = options.store;
    this.#services = options.services;
    this.#activity = options.activity;
    this.#logger = options.logger;
    options.lifecycle?.addShutdownHook(async () => {
      const waiting = this.#announcements;
      this.#announcements = [];
      await this.#activity.recordAll(waiting);
    });
  }

  /**
   * Subscribes to the incidents deliveries open (routing notifies their teams). A
   * delivery's incidents are handed over at once, unless incidents were handed over
   * less than {@link OPENED_BATCH_MS} ago (a storm): then all opened meanwhile are
   * handed over together when that time is up, so routing writes a batch of
   * deliveries at a time rather than one delivery at a time.
   */
  onOpened(listener: (opened: Incident[]) => void) {
    this.#openedListeners.push(listener);
  }

  /** Records an Alertmanager webhook call's alerts (already validated). */
  async receive(alerts: AlertmanagerAlert[]): Promise<WebhookResult> {
    const services = new Map<string, string | null>();
    const incoming: IncomingAlert[] = [];
    for (const alert of alerts) {
      const labels = alert.labels;
      const environment = labels[ALERT_LABEL_ENVIRONMENT];
      const ruleKey = labels[ALERT_LABEL_RULE] ?? labels[ALERT_LABEL_ALERTNAME];
      const ref = labels[ALERT_LABEL_ENTITY];
      if (!ref || !environment || !ruleKey) continue;
      const entityRef = await this.#k2Service(ref, services);
      if (!entityRef) continue;
      incoming.push({
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        endsAt: alert.endsAt,
        status: alert.status,
        labels,
        annotations: alert.annotations,
        entityRef,
        environment,
        ruleKey,
        cluster: labels[ALERT_LABEL_CLUSTER],
        severity: severityOf(labels[ALERT_LABEL_SEVERITY]),
        source: 'prometheus',
      });
    }
    const result = incoming.length
      ? await this.record(incoming, 'alertmanager')
      : { recorded: 0, duplicates: 0 };
    // Counts only: labels and annotations may carry anything a rule put there.
    this.#logger.info(
      `Alertmanager webhook: ${alerts.length} alerts received, ${incoming.length} of K2 services, ${result.recorded} recorded, ${result.duplicates} unchanged`,
    );
    return {
      received: alerts.length,
      recorded: result.recorded,
      duplicates: result.duplicates,
    };
  }

  /** Records alerts of K2 services and announces the incidents that open or resolve. */
  async record(alerts: IncomingAlert[], source: ChangeSource) {
    const result = await this.#store.record(alerts, source);
    for (const incident of result.opened) this.#announce(incident, 'opened');
    for (const incident of result.resolved)
      this.#announce(incident, 'resolved');
    if (result.opened.length) {
      this.#opened.push(...result.opened);
      const wait = this.#handedOverAt + OPENED_BATCH_MS - Date.now();
      if (wait <= 0) this.#handOver();
      else this.#openedTimer ??= setTimeout(() => this.#handOver(), wait);
    }
    return result;
  }

  /** Hands the incidents opened since the last time to the listeners. */
  #handOver() {
    clearTimeout(this.#openedTimer);
    this.#openedTimer = undefined;
    this.#handedOverAt = Date.now();
    const opened = this.#opened;
    if (!opened.length) return;
    this.#opened = [];
    for (const listener of this.#openedListeners) listener(opened);
  }

  /** The service's lowercased entity ref when the catalog holds it as a K2 service. */
  async #k2Service(
    ref: string,
    known: Map<string, string | null>,
  ): Promise<string | undefined> {
    const key = ref.toLocaleLowerCase('en-US');
    if (!known.has(key)) {
      let found: string | null = null;
      let compound: CompoundEntityRef | undefined;
      try {
        compound = parseEntityRef(ref, { defaultKind: 'component' });
      } catch {
        // Not an entity ref at all: not a K2 service.
      }
      const entity = compound && (await this.#services.get(compound));
      if (entity && isK2Service(entity)) {
        found = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
      }
      known.set(key, found);
    }
    return known.get(key) ?? undefined;
  }

  /**
   * Writes an incident's opening or resolution to the activity log. Intake does not
   * wait on it: one call at a time takes every entry waiting (in calls of at most
   * `ACTIVITY_BATCH_MAX`), in the order incidents changed, so a storm opening thousands
   * of incidents makes one call per batch of openings that arrived while the previous
   * call was in flight, not one per incident. The log retries by itself and never
   * throws.
   */
  #announce(incident: Incident, change: 'opened' | 'resolved') {
    this.#announcements.push({
      service: incident.entityRef,
      environment: incident.environment,
      actor: 'k2',
      action:
        change === 'opened' ? 'alert-incident-open' : 'alert-incident-resolve',
      summary: `Incident ${change} (${incident.severity}): ${incident.title}`,
      result: 'succeeded',
    });
    if (!this.#announcing) {
      this.#announcing = true;
      void this.#drain();
    }
  }

  async #drain() {
    while (this.#announcements.length) {
      const batch = this.#announcements;
      this.#announcements = [];
      await this.#activity.recordAll(batch);
    }
    this.#announcing = false;
  }
}
