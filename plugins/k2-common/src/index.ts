/**
 * Shared model of K2: catalog annotations and labels, the environment and cluster model,
 * the resolution of a service's settings from both, permissions and API contracts.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './labels';
export * from './environments';
export * from './services';
export * from './permissions';
export * from './runtime';
export * from './releases';
export * from './instances';
export * from './activity';
export * from './devSignIn';
export * from './client';
export * from './quantities';
export * from './images';
