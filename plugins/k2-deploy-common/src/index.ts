/**
 * The Deploy API contract: types generated from the Deploy backend's OpenAPI document,
 * the typed client the Deploy tab and the scaffolder action share, and the Deploy
 * signals.
 *
 * @packageDocumentation
 */
export * from './client';
export type { components, operations, paths } from './generated/openapi';
export { k2DeploySignalChannel } from './signals';
export type { K2DeploySignal } from './signals';
