import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import StorageIcon from '@material-ui/icons/Storage';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2MiddlewareStoreClient } from '@internal/plugin-k2-middleware-store-common';
import { k2MiddlewareStoreApiRef } from './api/K2MiddlewareStoreApi';
import { middlewarePageRouteRef } from './routes';
import { middlewareTabTitle } from './tabTitle';

const k2MiddlewareStoreApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2MiddlewareStoreApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2MiddlewareStoreClient({ discoveryApi, fetchApi }),
    }),
});

/** The Middleware tab, titled in the language chosen in Settings ({@link middlewareTabTitle}). */
export const middlewareTab = EntityContentBlueprint.makeWithOverrides({
  name: 'middleware',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'middleware',
      title: middlewareTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () =>
        import('./components/MiddlewareTab').then(m => <m.MiddlewareTab />),
    });
  },
});

/**
 * The App Store page: the products the store offers (a template's details and Create
 * in a drawer) and, under `instances`, every team's instances; with a nav item.
 */
export const middlewarePage = PageBlueprint.make({
  params: {
    path: '/k2/middleware',
    title: 'Middleware',
    icon: <StorageIcon />,
    routeRef: middlewarePageRouteRef,
    // The page draws its own header, in the language chosen in Settings.
    noHeader: true,
    loader: () =>
      import('./components/store/StorePage').then(m => <m.StorePage />),
  },
});

/** K2's App Store page and the Middleware tab on service pages. */
export const k2MiddlewareStorePlugin = createFrontendPlugin({
  pluginId: 'k2-middleware-store',
  extensions: [k2MiddlewareStoreApi, middlewareTab, middlewarePage],
  routes: { root: middlewarePageRouteRef },
});
