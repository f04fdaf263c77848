/**
 * K2 Storage backend plugin: a service's volumes per environment, created in every
 * cluster of the environment from the storage classes it offers.
 *
 * @packageDocumentation
 */
export { k2StoragePlugin as default } from './plugin';
export { catalogModuleK2Volumes } from './catalog/module';
