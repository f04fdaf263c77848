/**
 * Backend building blocks every K2 capability plugin uses: the environment registry,
 * the catalog's K2 services in memory, the cluster access layer (watch caches for
 * reading, server-side apply for writing), service resolution (entity → targets →
 * clusters → objects and pods), the action gate (permission + audit + activity),
 * the activity log client and the image registries' client (tags and manifests).
 *
 * @packageDocumentation
 */
export * from './environments';
export * from './clusters';
export * from './catalog';
export * from './services';
export * from './activity';
export * from './actions';
export * from './api';
export * from './permissions';
export * from './database';
export * from './registries';
