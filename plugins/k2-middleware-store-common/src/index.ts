/**
 * The Middleware store API contract: types generated from the Middleware store
 * backend's OpenAPI document and the typed client its consumers share.
 *
 * @packageDocumentation
 */
export * from './client';
export type { components, operations, paths } from './generated/openapi';
