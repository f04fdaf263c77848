/**
 * The Alerts API contract: types generated from the Alerts backend's OpenAPI
 * document, the typed client its consumers share, and the names of the labels every
 * K2 alert carries.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './labels';
