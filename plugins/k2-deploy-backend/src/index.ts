/**
 * K2 Deploy backend plugin, and the permission rules on releases it evaluates (a
 * policy builds its conditions with `k2ReleaseConditions` from
 * `@internal/plugin-k2-common`).
 *
 * @packageDocumentation
 */
export { k2DeployPlugin as default } from './plugin';
export * from './permissions';
