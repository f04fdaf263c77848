import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createMiddlewareStoreRouter } from './routes/contract';

/**
 * K2's Middleware store backend: middleware instances from versioned templates, with
 * approval, expiry, backups, restores, bindings and a catalog Resource each.
 */
export const k2MiddlewareStorePlugin = createBackendPlugin({
  pluginId: 'k2-middleware-store',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
      },
      async init(deps) {
        deps.httpRouter.use(createMiddlewareStoreRouter());
      },
    });
  },
});
