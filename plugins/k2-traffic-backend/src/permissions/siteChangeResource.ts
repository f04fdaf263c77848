import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import { RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE } from '@internal/plugin-k2-common';
import {
  createK2ApprovalRules,
  K2ApprovableChange,
  K2ApprovalQuery,
  K2EnvironmentRegistry,
} from '@internal/plugin-k2-node';
import { TrafficStore } from '../database/TrafficStore';

/** A site change as K2's approval rules see it. */
export type K2SiteChangeResource = K2ApprovableChange;

/** Site changes as a permission resource type, owned by the Traffic backend. */
export const k2SiteChangeResourceRef = createPermissionResourceRef<
  K2SiteChangeResource,
  K2ApprovalQuery
>().with({
  pluginId: 'k2-traffic',
  resourceType: RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE,
});

/**
 * The approval rules K2's policy names for every change that waits for approval
 * (`k2ApprovalConditions` in `@internal/plugin-k2-common`), applied to site changes.
 */
export const k2SiteChangeRules = createK2ApprovalRules(
  k2SiteChangeResourceRef,
  'site change',
);

/**
 * Registers site changes as a permission resource type, so a conditional decision on
 * one (`k2.traffic.site.approve`) is evaluated here, with the change's environment,
 * that environment's approver group and the change's requester. A resource ref that
 * is not a change's id names no resource (the decision is then a denial).
 */
export function registerSiteChangeResource(options: {
  permissionsRegistry: PermissionsRegistryService;
  store: Pick<TrafficStore, 'getChange'>;
  environments: K2EnvironmentRegistry;
}) {
  const { permissionsRegistry, store, environments } = options;
  permissionsRegistry.addResourceType({
    resourceRef: k2SiteChangeResourceRef,
    rules: Object.values(k2SiteChangeRules),
    getResources: ids =>
      Promise.all(
        ids.map(async id => {
          // Ids are the database's integers: from 1 to 2147483647.
          if (!/^[1-9][0-9]{0,9}$/.test(id) || Number(id) > 2147483647) {
            return undefined;
          }
          const change = await store.getChange(Number(id));
          if (!change) return undefined;
          return {
            id,
            service: change.service,
            environment: change.environment,
            createdBy: change.requestedBy,
            approverGroup: environments.getEnvironment(change.environment)
              ?.approval.approverGroup,
          };
        }),
      ),
  });
}
