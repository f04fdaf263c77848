/**
 * Shared model of K2: catalog annotations, the environment and cluster model, and the
 * resolution of a service's settings from both.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './environments';
export * from './services';
export * from './devSignIn';
