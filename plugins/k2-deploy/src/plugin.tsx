import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';
import { k2DeployApiRef } from './api/K2DeployApi';
import { K2DeployClient } from './api/K2DeployClient';
import { DeployTabEntry } from './components/DeployTabEntry';
import { deployTabTitle } from './tabTitle';

const k2DeployApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2DeployApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2DeployClient({ discoveryApi, fetchApi }),
    }),
});

/** The Deploy tab, titled in the language chosen in Settings ({@link deployTabTitle}). */
export const deployTab = EntityContentBlueprint.makeWithOverrides({
  name: 'deploy',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'deploy',
      title: deployTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: async () => <DeployTabEntry />,
    });
  },
});

/** K2's Deploy tab on service pages. */
export const k2DeployPlugin = createFrontendPlugin({
  pluginId: 'k2-deploy',
  extensions: [k2DeployApi, deployTab],
});
