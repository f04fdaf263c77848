/**
 * K2's Middleware store backend (pluginId `k2-middleware-store`): middleware instances
 * from versioned templates, with approval, expiry, backups, restores, bindings and a
 * catalog Resource each.
 *
 * @packageDocumentation
 */
export { k2MiddlewareStorePlugin as default } from './plugin';
export { catalogModuleK2MiddlewareInstances } from './catalog/module';
