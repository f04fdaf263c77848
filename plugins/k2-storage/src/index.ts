/**
 * K2's Storage tab: a service's volumes per environment; create, expand and delete.
 *
 * @packageDocumentation
 */
export { k2StoragePlugin as default } from './plugin';
export { k2StorageApiRef } from './api/K2StorageApi';
export type { K2StorageApi } from './api/K2StorageApi';
export { k2StorageTranslationRef, k2StorageTranslations } from './translation';
