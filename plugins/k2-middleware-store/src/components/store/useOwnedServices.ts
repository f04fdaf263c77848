import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  configApiRef,
  identityApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import {
  isK2Service,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { CreateTarget } from '../CreateInstanceDialog';
import { useLoad } from '@internal/plugin-k2-react';

/**
 * The K2 services the signed-in user's teams (or the user) own in the catalog, with
 * the environments each runs in: whom the App Store's Create may create for. The
 * backend decides again on create; this only narrows the choice.
 */
export function useOwnedServices() {
  const catalog = useApi(catalogApiRef);
  const identity = useApi(identityApiRef);
  const config = useApi(configApiRef);
  return useLoad(async (): Promise<CreateTarget[]> => {
    const { ownershipEntityRefs } = await identity.getBackstageIdentity();
    if (ownershipEntityRefs.length === 0) return [];
    const model = readEnvironmentModel(config);
    const { items } = await catalog.getEntities({
      filter: { kind: 'Component', 'relations.ownedBy': ownershipEntityRefs },
    });
    return items
      .filter(isK2Service)
      .map(entity => ({
        ref: stringifyEntityRef(entity),
        title: entity.metadata.title ?? entity.metadata.name,
        environments: readServiceSpec(entity, model).targets.map(
          target => target.environment.name,
        ),
      }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }, [catalog, identity, config]);
}
