/**
 * K2 Deploy backend plugin.
 *
 * @packageDocumentation
 */
export { k2DeployPlugin as default } from './plugin';
