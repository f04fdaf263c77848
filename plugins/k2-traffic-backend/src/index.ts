/**
 * K2 Traffic backend plugin: Nginx sites per service and environment, versions gated
 * by `nginx -t`, and the cluster bundles Nginx agents pull.
 *
 * @packageDocumentation
 */
export { k2TrafficPlugin as default } from './plugin';
export type { UpstreamMemberSource, SiteRef } from './rendering/members';
export { catalogModuleK2TrafficSites } from './catalog/module';
