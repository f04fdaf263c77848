import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { authProvidersExtensionPoint } from '@backstage/plugin-auth-node';
import {
  DEV_SIGN_IN_PROVIDER_ID,
  readDevSignInConfig,
} from '@internal/plugin-k2-common';
import { devSignInProviderFactory } from './authenticator';

/**
 * Development sign-in: pick a demo user from the catalog. Registered only when
 * `k2.devSignIn.enabled` is true, and refuses to start under NODE_ENV=production.
 */
export const authModuleK2DevProvider = createBackendModule({
  pluginId: 'auth',
  moduleId: 'k2-dev-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ providers, config, logger }) {
        if (!readDevSignInConfig(config).enabled) {
          return;
        }
        if (process.env.NODE_ENV === 'production') {
          throw new Error(
            'k2.devSignIn.enabled is true under NODE_ENV=production; development sign-in ' +
              'lets anyone pick any identity and must never run in production',
          );
        }
        logger.warn(
          'Development sign-in is enabled: anyone reaching the portal can act as any catalog user',
        );
        providers.registerProvider({
          providerId: DEV_SIGN_IN_PROVIDER_ID,
          factory: devSignInProviderFactory,
        });
      },
    });
  },
});
