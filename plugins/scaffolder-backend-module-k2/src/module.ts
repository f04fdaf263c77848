import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createK2AlertsDefaultsAction } from './alertsDefaultsAction';
import { createK2MiddlewareCreateAction } from './middlewareCreateAction';
import { createK2ReleaseAction } from './releaseAction';

/** Registers K2's scaffolder actions. */
export const scaffolderModuleK2 = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'k2',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        catalog: catalogServiceRef,
      },
      async init({ scaffolder, auth, discovery, catalog }) {
        scaffolder.addActions(
          createK2ReleaseAction({ auth, discovery }),
          createK2MiddlewareCreateAction({ auth, discovery }),
          createK2AlertsDefaultsAction({ auth, discovery, catalog }),
        );
      },
    });
  },
});
