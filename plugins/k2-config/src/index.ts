/**
 * K2's Config tab: a service's config files per environment, edited in a code editor
 * with format checks, each save an immutable version; compare, restore and delete.
 *
 * @packageDocumentation
 */
export { k2ConfigPlugin as default } from './plugin';
export { k2ConfigApiRef } from './api/K2ConfigApi';
export type { K2ConfigApi } from './api/K2ConfigApi';
export { k2ConfigTranslationRef, k2ConfigTranslations } from './translation';
