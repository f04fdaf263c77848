import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE } from '@internal/plugin-k2-common';
import {
  createK2ApprovalRules,
  K2ApprovableChange,
  K2ApprovalQuery,
  K2EnvironmentRegistry,
} from '@internal/plugin-k2-node';
import { MiddlewareStore } from '../database/MiddlewareStore';

/** A middleware instance as K2's approval rules see it. */
export type K2MiddlewareInstanceResource = K2ApprovableChange;

/** Middleware instances as a permission resource type, owned by this backend. */
export const k2MiddlewareInstanceResourceRef = createPermissionResourceRef<
  K2MiddlewareInstanceResource,
  K2ApprovalQuery
>().with({
  pluginId: 'k2-middleware-store',
  resourceType: RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE,
});

/**
 * The approval rules K2's policy names for every change that waits for approval
 * (`k2ApprovalConditions` in `@internal/plugin-k2-common`), applied to instances.
 */
export const k2MiddlewareInstanceRules = createK2ApprovalRules(
  k2MiddlewareInstanceResourceRef,
  'middleware instance',
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Registers instances as a permission resource type, so a conditional decision on one
 * (`k2.middleware.approve`) is evaluated here with the instance's environment, that
 * environment's approver group and the instance's requester. A resource ref that is
 * not an instance's id names no resource (the decision is then a denial).
 */
export function registerInstanceResource(options: {
  permissionsRegistry: PermissionsRegistryService;
  store: Pick<MiddlewareStore, 'getInstance'>;
  environments: K2EnvironmentRegistry;
}) {
  const { permissionsRegistry, store, environments } = options;
  permissionsRegistry.addResourceType({
    resourceRef: k2MiddlewareInstanceResourceRef,
    rules: Object.values(k2MiddlewareInstanceRules),
    getResources: ids =>
      Promise.all(
        ids.map(async id => {
          if (!UUID.test(id)) return undefined;
          const instance = await store.getInstance(id);
          if (!instance) return undefined;
          return {
            id,
            service: instance.service,
            environment: instance.environment,
            createdBy: instance.approval?.requestedBy ?? instance.createdBy,
            approverGroup: environments.getEnvironment(instance.environment)
              ?.approval.approverGroup,
          };
        }),
      ),
  });
}
