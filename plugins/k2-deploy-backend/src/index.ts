/**
 * K2 Deploy backend plugin, and the permission conditions on releases that a
 * permission policy uses to decide approvals.
 *
 * @packageDocumentation
 */
export { k2DeployPlugin as default } from './plugin';
export * from './permissions';
