import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2TrafficClient } from '@internal/plugin-k2-traffic-common';
import { k2TrafficApiRef } from './api/K2TrafficApi';
import { trafficTabTitle } from './tabTitle';

const k2TrafficApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2TrafficApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2TrafficClient({ discoveryApi, fetchApi }),
    }),
});

/** The Traffic tab, titled in the language chosen in Settings ({@link trafficTabTitle}). */
export const trafficTab = EntityContentBlueprint.makeWithOverrides({
  name: 'traffic',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'traffic',
      title: trafficTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () =>
        import('./components/TrafficTab').then(m => <m.TrafficTab />),
    });
  },
});

/** K2's Traffic tab on service pages. */
export const k2TrafficPlugin = createFrontendPlugin({
  pluginId: 'k2-traffic',
  extensions: [k2TrafficApi, trafficTab],
});
