import {
  ApiBlueprint,
  appLanguageApiRef,
  createFrontendPlugin,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import NotificationsActiveIcon from '@material-ui/icons/NotificationsActive';
import { isK2Service } from '@internal/plugin-k2-common';
import { K2AlertsClient } from '@internal/plugin-k2-alerts-common';
import { k2AlertsApiRef } from './api/K2AlertsApi';
import { alertsTabTitle } from './tabTitle';

const k2AlertsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: k2AlertsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new K2AlertsClient({ discoveryApi, fetchApi }),
    }),
});

/** The Alerts tab, titled in the language chosen in Settings ({@link alertsTabTitle}). */
export const alertsTab = EntityContentBlueprint.makeWithOverrides({
  name: 'alerts',
  factory(originalFactory, { apis }) {
    return originalFactory({
      path: 'alerts',
      title: alertsTabTitle(apis.get(appLanguageApiRef)),
      filter: isK2Service,
      loader: () => import('./components/AlertsTab').then(m => <m.AlertsTab />),
    });
  },
});

/** The route of the team Alerts overview page (`/k2/alerts`). */
export const alertsPageRouteRef = createRouteRef();

/**
 * The team Alerts overview (every incident of a team's services) and, under
 * `settings`, a team's alert settings; with a nav item.
 */
export const alertsPage = PageBlueprint.make({
  params: {
    path: '/k2/alerts',
    title: 'Alerts',
    icon: <NotificationsActiveIcon />,
    routeRef: alertsPageRouteRef,
    // The page draws its own header, in the language chosen in Settings.
    noHeader: true,
    loader: () =>
      import('./components/team/AlertsPageRoutes').then(m => (
        <m.AlertsPageRoutes />
      )),
  },
});

/** K2's Alerts tab on service pages and the team Alerts overview page. */
export const k2AlertsPlugin = createFrontendPlugin({
  pluginId: 'k2-alerts',
  extensions: [k2AlertsApi, alertsTab, alertsPage],
  routes: { root: alertsPageRouteRef },
});
