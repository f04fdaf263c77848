/** The resource type of a release, for permissions decided per release. */
export const RESOURCE_TYPE_K2_RELEASE = 'k2-release';

/** The resource type of a site change waiting for approval (Traffic). */
export const RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE = 'k2-traffic-site-change';

/** The resource type of a middleware instance waiting for approval (Middleware store). */
export const RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE = 'k2-middleware-instance';
