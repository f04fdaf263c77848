import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';

const k2EnvironmentsCard = EntityCardBlueprint.make({
  name: 'k2-environments',
  params: {
    filter: isK2Service,
    type: 'content',
    loader: async () =>
      import('./K2EnvironmentsCard').then(m => <m.K2EnvironmentsCard />),
  },
});

/** K2's additions to catalog entity pages that belong to no capability plugin. */
export const k2CatalogModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [k2EnvironmentsCard],
});
