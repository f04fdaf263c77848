/**
 * K2's Alerts backend (pluginId `k2-alerts`): alert rules per service from
 * templates, compiled to Prometheus rule groups and delivered per environment;
 * Alertmanager intake, incidents and Kubernetes signals.
 *
 * @packageDocumentation
 */
export { k2AlertsPlugin as default } from './plugin';
