/**
 * The labels every alert K2 generates carries, Prometheus rules and Kubernetes
 * signals alike; intake, incidents and the Alerts tab read alerts by them.
 */

/** The service's entity ref, `component:default/payment-gateway`. */
export const ALERT_LABEL_ENTITY = 'k2_entity';
/** The service's entity name, `payment-gateway`. */
export const ALERT_LABEL_SERVICE = 'k2_service';
/** The rule's id; for Kubernetes signals `signal:<reason>`. */
export const ALERT_LABEL_RULE = 'k2_rule';
/** The K2 environment, `test`. */
export const ALERT_LABEL_ENVIRONMENT = 'environment';
/** The cluster the alerting series came from. */
export const ALERT_LABEL_CLUSTER = 'cluster';
/** The Kubernetes namespace of the service in that environment. */
export const ALERT_LABEL_NAMESPACE = 'namespace';
/** The owning group's entity ref, `group:default/payments-team`. */
export const ALERT_LABEL_TEAM = 'team';
/** `critical`, `warning` or `info`. */
export const ALERT_LABEL_SEVERITY = 'severity';
/** The rule's name. */
export const ALERT_LABEL_ALERTNAME = 'alertname';

/** The annotations every K2 alert carries. */
export const ALERT_ANNOTATION_SUMMARY = 'summary';
export const ALERT_ANNOTATION_DESCRIPTION = 'description';

/** The severities of K2 alerts, most severe first. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
/** An alert's severity. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** The reasons of Kubernetes signals; their rule label is `signal:<reason>`. */
export const ALERT_SIGNAL_REASONS = [
  'oomkilled',
  'error-exit',
  'crashloop',
  'failed-scheduling',
  'readiness',
] as const;
/** A Kubernetes signal's reason. */
export type AlertSignalReason = (typeof ALERT_SIGNAL_REASONS)[number];

/** The `k2_rule` label of a Kubernetes signal. */
export function signalRuleKey(reason: AlertSignalReason): string {
  return `signal:${reason}`;
}
