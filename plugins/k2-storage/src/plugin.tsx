import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2StorageClient } from '@internal/plugin-k2-storage-common';
import { k2StorageApiRef } from './api/K2StorageApi';
import { storageTabTitle } from './tabTitle';

const k2StorageApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2StorageApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2StorageClient({ discoveryApi, fetchApi }),
    }),
});

/** The Storage tab, titled in the language chosen in Settings ({@link storageTabTitle}). */
export const storageTab = EntityContentBlueprint.makeWithOverrides({
  name: 'storage',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'storage',
      title: storageTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () =>
        import('./components/StorageTab').then(m => <m.StorageTab />),
    });
  },
});

/** K2's Storage tab on service pages. */
export const k2StoragePlugin = createFrontendPlugin({
  pluginId: 'k2-storage',
  extensions: [k2StorageApi, storageTab],
});
