/**
 * The Config API contract: types generated from the Config backend's OpenAPI
 * document, the typed client its consumers share, and the format checks the editor
 * and the backend both run.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './formats';
export { k2ConfigSignalChannel } from './signals';
export type { K2ConfigSignal } from './signals';
export type { components, operations, paths } from './generated/openapi';
