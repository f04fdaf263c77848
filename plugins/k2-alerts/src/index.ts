/**
 * K2's Alerts tab and the team Alerts overview: a service's incidents with their
 * alerts, its rules from templates with a live preview, and the history of its alert
 * state changes; every incident of a team's services on one page.
 *
 * @packageDocumentation
 */
export { k2AlertsPlugin as default } from './plugin';
export { k2AlertsApiRef } from './api/K2AlertsApi';
export type { K2AlertsApi } from './api/K2AlertsApi';
export { k2AlertsTranslationRef, k2AlertsTranslations } from './translation';
