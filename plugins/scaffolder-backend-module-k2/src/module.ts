import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { scaffolderTemplatingExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { createK2AlertsDefaultsAction } from './alertsDefaultsAction';
import { createK2BuildAction } from './buildAction';
import { createK2CatalogRegisterAction } from './catalogRegisterAction';
import { createK2MiddlewareCreateAction } from './middlewareCreateAction';
import {
  createK2PublishLocalGitAction,
  localGitTemplateGlobals,
} from './publishLocalGitAction';
import { createK2ReleaseAction } from './releaseAction';

/** Registers K2's scaffolder actions. */
export const scaffolderModuleK2 = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'k2',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        templating: scaffolderTemplatingExtensionPoint,
        config: coreServices.rootConfig,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        catalog: catalogServiceRef,
        urlReader: coreServices.urlReader,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
      },
      async init({
        scaffolder,
        templating,
        config,
        auth,
        discovery,
        catalog,
        urlReader,
        userInfo,
        auditor,
      }) {
        scaffolder.addActions(
          createK2ReleaseAction({ auth, discovery }),
          createK2BuildAction({ auth, discovery }),
          createK2MiddlewareCreateAction({ auth, discovery }),
          createK2AlertsDefaultsAction({ auth, discovery, catalog }),
          createK2CatalogRegisterAction({
            config,
            urlReader,
            catalog,
            auth,
            userInfo,
            auditor,
          }),
        );
        // Development only: the local Git server new services are published to.
        const localGit = config.getOptionalConfig('k2.builds.localGit');
        if (localGit && localGit.getOptionalBoolean('enabled') !== false) {
          const url = localGit.getString('url');
          scaffolder.addActions(
            createK2PublishLocalGitAction({
              url,
              tokenFile: localGit.getString('tokenFile'),
              user: localGit.getOptionalString('user'),
            }),
          );
          templating.addTemplateGlobals(localGitTemplateGlobals({ url }));
        }
      },
    });
  },
});
