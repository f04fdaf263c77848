export { K2MiddlewareStoreClient } from './K2MiddlewareStoreClient';
export type {
  K2CreateMiddlewareInstanceInput,
  K2MiddlewareBindingEnv,
  K2MiddlewareConnection,
  K2MiddlewareEnvironmentPolicy,
  K2MiddlewareInstance,
  K2MiddlewareInstanceState,
  K2MiddlewareService,
  K2MiddlewareStoreClientOptions,
  K2MiddlewareTemplate,
  K2MiddlewareTemplateSummary,
  K2ResizeMiddlewareInstanceInput,
} from './K2MiddlewareStoreClient';
