/**
 * K2's Builds tab: a service's builds, started from a ref, their logs followed live,
 * the Dockerfile each used, and cancel.
 *
 * @packageDocumentation
 */
export { k2BuildsPlugin as default } from './plugin';
export { k2BuildsApiRef } from './api/K2BuildsApi';
export type { K2BuildsApi, K2BuildLogQuery } from './api/K2BuildsApi';
export { k2BuildsTranslationRef, k2BuildsTranslations } from './translation';
