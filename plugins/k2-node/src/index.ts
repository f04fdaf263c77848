/**
 * Backend library shared by K2 plugins and modules.
 *
 * @packageDocumentation
 */
export * from './environments';
