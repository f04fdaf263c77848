/**
 * The Storage API contract: types generated from the Storage backend's OpenAPI
 * document and the typed client its consumers share.
 *
 * @packageDocumentation
 */
export * from './client';
export type { components, operations, paths } from './generated/openapi';
export { k2StorageSignalChannel } from './signals';
export type { K2StorageSignal } from './signals';
