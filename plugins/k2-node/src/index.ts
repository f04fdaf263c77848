/**
 * Backend library shared by K2 plugins and modules: the environment registry and the
 * cluster access layer (watch caches for reading, server-side apply for writing).
 *
 * @packageDocumentation
 */
export * from './environments';
export * from './clusters';
export * from './catalog';
