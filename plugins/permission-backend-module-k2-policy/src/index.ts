/**
 * K2's permission policy, installed in the permission backend as a module.
 *
 * @packageDocumentation
 */
export { permissionModuleK2Policy as default } from './module';
export { K2PermissionPolicy, k2PolicyTable } from './K2PermissionPolicy';
export type {
  K2Audience,
  K2PermissionPolicyOptions,
} from './K2PermissionPolicy';
