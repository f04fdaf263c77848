import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2ConfigClient } from '@internal/plugin-k2-config-common';
import { k2ConfigApiRef } from './api/K2ConfigApi';
import { configTabTitle } from './tabTitle';

const k2ConfigApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2ConfigApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2ConfigClient({ discoveryApi, fetchApi }),
    }),
});

/** The Config tab, titled in the language chosen in Settings ({@link configTabTitle}). */
export const configTab = EntityContentBlueprint.makeWithOverrides({
  name: 'config',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'config',
      title: configTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () => import('./components/ConfigTab').then(m => <m.ConfigTab />),
    });
  },
});

/** K2's Config tab on service pages. */
export const k2ConfigPlugin = createFrontendPlugin({
  pluginId: 'k2-config',
  extensions: [k2ConfigApi, configTab],
});
