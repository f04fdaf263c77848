import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2BuildsFrontendClient, k2BuildsApiRef } from './api/K2BuildsApi';
import { buildsTabTitle } from './tabTitle';

const k2BuildsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2BuildsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2BuildsFrontendClient({ discoveryApi, fetchApi }),
    }),
});

/** The Builds tab, titled in the language chosen in Settings ({@link buildsTabTitle}). */
export const buildsTab = EntityContentBlueprint.makeWithOverrides({
  name: 'builds',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'builds',
      title: buildsTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () => import('./components/BuildsTab').then(m => <m.BuildsTab />),
    });
  },
});

/** K2's Builds tab on service pages. */
export const k2BuildsPlugin = createFrontendPlugin({
  pluginId: 'k2-builds',
  extensions: [k2BuildsApi, buildsTab],
});
