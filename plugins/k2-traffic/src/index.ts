/**
 * K2's Traffic tab: a service's Nginx site per environment, its editor with a
 * publish preview, and its versions with diffs and rollback.
 *
 * @packageDocumentation
 */
export { k2TrafficPlugin as default } from './plugin';
export { k2TrafficApiRef } from './api/K2TrafficApi';
export type { K2TrafficApi } from './api/K2TrafficApi';
export { k2TrafficTranslationRef, k2TrafficTranslations } from './translation';
