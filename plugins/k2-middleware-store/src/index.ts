/**
 * K2's Middleware store: the App Store page (browse products, read what each creates,
 * create an instance, every team's instances) and the Middleware tab of a service
 * (its instances, their lifecycle, connection for owners, binding, approval).
 *
 * @packageDocumentation
 */
export { k2MiddlewareStorePlugin as default } from './plugin';
export { k2MiddlewareStoreApiRef } from './api/K2MiddlewareStoreApi';
export type { K2MiddlewareStoreApi } from './api/K2MiddlewareStoreApi';
export {
  k2MiddlewareMessages,
  k2MiddlewareTranslationRef,
  k2MiddlewareTranslations,
} from './translation';
