/** The resource type of a release, for permissions decided per release. */
export const RESOURCE_TYPE_K2_RELEASE = 'k2-release';

/** The resource type of a site change waiting for approval (Traffic). */
export const RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE = 'k2-traffic-site-change';
