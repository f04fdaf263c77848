import { PermissionsRegistryService } from '@backstage/backend-plugin-api';
import { K2EnvironmentRegistry } from '@internal/plugin-k2-node';
import { ReleaseStore } from '../database/ReleaseStore';
import { k2ReleaseResourceRef, k2ReleaseRules } from './rules';

/**
 * Registers releases as a permission resource type, so a conditional decision on a
 * release (e.g. `isEnvironmentApprover`) is evaluated here, with the release's
 * environment, its approver group and its requester.
 */
export function registerReleaseResource(options: {
  permissionsRegistry: PermissionsRegistryService;
  store: Pick<ReleaseStore, 'get'>;
  environments: K2EnvironmentRegistry;
}) {
  const { permissionsRegistry, store, environments } = options;
  permissionsRegistry.addResourceType({
    resourceRef: k2ReleaseResourceRef,
    rules: Object.values(k2ReleaseRules),
    getResources: ids =>
      Promise.all(
        ids.map(async id => {
          const release = await store.get(id).catch(() => undefined);
          if (!release) return undefined;
          const environment = environments.model.environments.find(
            e => e.name === release.environment,
          );
          return {
            id: release.id,
            service: release.service,
            environment: release.environment,
            createdBy: release.createdBy,
            approverGroup: environment?.approval.approverGroup,
          };
        }),
      ),
  });
}
