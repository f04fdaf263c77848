/**
 * K2's Config backend (pluginId `k2-config`): config files per service and
 * environment, each save an immutable content-hashed ConfigMap (a Secret when
 * sensitive) in every cluster of the environment.
 *
 * @packageDocumentation
 */
export { k2ConfigPlugin as default } from './plugin';
