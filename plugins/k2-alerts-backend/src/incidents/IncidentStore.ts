import { AlertSeverity } from '@internal/plugin-k2-alerts-common';

/** Where an alert comes from: a Prometheus rule through Alertmanager, or K2's signals. */
export type AlertSource = 'prometheus' | 'kubernetes';
/** What delivered a state change: Alertmanager's webhook, or K2's signals. */
export type ChangeSource = 'alertmanager' | 'kubernetes';
export type AlertStatus = 'firing' | 'resolved';
export type IncidentStatus = 'open' | 'resolved';

/** One alert instance as a delivery carries it, already tied to a K2 service. */
export interface IncomingAlert {
  fingerprint: string;
  /** As delivered: with the fingerprint, the alert instance's key. */
  startsAt: string;
  /** When it resolved; read only for a resolved alert. */
  endsAt?: string;
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The service's entity ref, lowercased. */
  entityRef: string;
  environment: string;
  /** The `k2_rule` label. */
  ruleKey: string;
  cluster?: string;
  severity: AlertSeverity;
  source: AlertSource;
}

export type Incident = {
  id: string;
  entityRef: string;
  environment: string;
  ruleKey: string;
  title: string;
  severity: AlertSeverity;
  status: IncidentStatus;
  source: AlertSource;
  openedAt: string;
  resolvedAt?: string;
  /** When someone acknowledged it; "acknowledged" is an open incident with this set. */
  acknowledgedAt?: string;
  /** User ref of who acknowledged it. */
  acknowledgedBy?: string;
  /** User ref of who resolved it by hand; absent when its alerts resolved it. */
  resolvedBy?: string;
  firingCount: number;
  alertCount: number;
  lastChangeAt: string;
};

export type AlertChange = {
  status: AlertStatus;
  at: string;
  source: ChangeSource;
};

export type StoredAlert = {
  id: string;
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: AlertStatus;
  startsAt: string;
  endsAt?: string;
  cluster?: string;
  events: AlertChange[];
};

export type AlertHistoryEntry = {
  alertId: string;
  incidentId: string;
  status: AlertStatus;
  at: string;
  labels: Record<string, string>;
  summary: string;
};

/** What one delivery changed. */
export interface RecordResult {
  /** Alerts first seen, and firing alerts that resolved. */
  recorded: number;
  /** Alerts that changed nothing (redeliveries, or another delivery was first). */
  duplicates: number;
  /** Incidents this delivery opened (and that are still open after it). */
  opened: Incident[];
  /** Incidents this delivery resolved. */
  resolved: Incident[];
}

export interface IncidentFilter {
  /** Lowercased entity refs. */
  entityRefs: string[];
  status?: IncidentStatus;
  environment?: string;
  severity?: AlertSeverity;
  limit: number;
  cursor?: string;
}

export interface HistoryFilter {
  /** Lowercased entity ref. */
  entityRef: string;
  environment?: string;
  status?: AlertStatus;
  severity?: AlertSeverity;
  rule?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export type Page<T> = {
  items: T[];
  nextCursor?: string;
};

/**
 * Alerts, their history and incidents.
 *
 * Invariants: an alert instance is stored once per (fingerprint, startsAt), and each
 * of its states (firing, resolved) is recorded once, so a redelivery changes nothing,
 * even when two deliveries of it run at once; an alert goes from firing to resolved,
 * never back. A group (service, environment, rule) has at most one open incident; an
 * incident is open while any of its alerts fires, and a firing alert of a group whose
 * incident is resolved opens a new one.
 */
export interface IncidentStore {
  /** Records one delivery in one transaction. */
  record(alerts: IncomingAlert[], source: ChangeSource): Promise<RecordResult>;
  listIncidents(filter: IncidentFilter): Promise<Page<Incident>>;
  getIncident(
    id: string,
  ): Promise<{ incident: Incident; alerts: StoredAlert[] } | undefined>;
  listHistory(filter: HistoryFilter): Promise<Page<AlertHistoryEntry>>;
  /**
   * Acknowledges an open incident (stopping its escalation); an acknowledged one stays
   * as it was acknowledged first.
   *
   * @returns undefined when there is no such incident
   * @throws ConflictError when it is resolved
   */
  acknowledge(id: string, by: string): Promise<Incident | undefined>;
  /**
   * Resolves an open incident by hand, even while its alerts fire; a later firing
   * alert of its group opens a new incident.
   *
   * @returns undefined when there is no such incident
   * @throws ConflictError when it is resolved already
   */
  resolve(id: string, by: string): Promise<Incident | undefined>;
  /** Firing alerts of one source (Kubernetes signals resume them after a restart). */
  firing(source: AlertSource): Promise<Array<IncomingAlert & { id: string }>>;
}
