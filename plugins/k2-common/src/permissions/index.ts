import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';
import {
  RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE,
  RESOURCE_TYPE_K2_RELEASE,
  RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE,
} from './resourceTypes';

export {
  RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE,
  RESOURCE_TYPE_K2_RELEASE,
  RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE,
} from './resourceTypes';

/**
 * Read a service's runtime view: workloads, pods and warning events in every cluster of
 * its environments. A resource permission on the catalog entity, so a policy can decide
 * per service (for example with the catalog's `isEntityOwner` rule); the default policy
 * allows every signed-in user.
 */
export const k2ServiceRuntimeReadPermission = createPermission({
  name: 'k2.service.runtime.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read the health of K2's cluster connections (sync state, errors, cached object
 * counts). Allowed to every signed-in user by the default policy.
 */
export const k2ClustersReadPermission = createPermission({
  name: 'k2.clusters.read',
  attributes: { action: 'read' },
});

/**
 * Read a service's releases, their specs and diffs, and its activity log. Allowed to
 * every signed-in user by K2's policy.
 */
export const k2ReleaseReadPermission = createPermission({
  name: 'k2.release.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a service's activity log: every mutating action any K2 capability took on it,
 * who took it and how it ended. Allowed to every signed-in user by K2's policy.
 */
export const k2ActivityReadPermission = createPermission({
  name: 'k2.activity.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Release a service, or roll it back (a release of an older spec). K2's policy allows
 * the service's owners and platform admins.
 */
export const k2ReleaseCreatePermission = createPermission({
  name: 'k2.release.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Approve or reject a release waiting in an environment that needs approval. A
 * resource permission on the release (resource ref: the release id), so the policy
 * decides with the release's own facts through the Deploy backend's rules: K2's policy
 * allows members of the environment's approver group (`isEnvironmentApprover`) and
 * platform admins.
 */
export const k2ReleaseApprovePermission = createPermission({
  name: 'k2.release.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_K2_RELEASE,
});

/**
 * Start a canary of a service in an environment whose releases need approval
 * (`approval.required`). A canary puts a new image in front of users without an
 * approver, so K2's policy gives this to platform admins only; elsewhere owners start
 * canaries with `k2.release.create`. Promoting a canary is a release, approved as any.
 */
export const k2CanaryStartApprovedPermission = createPermission({
  name: 'k2.canary.start.approved',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Scale a service, set or remove its autoscaling. Owners and platform admins. */
export const k2ServiceScalePermission = createPermission({
  name: 'k2.service.scale',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Restart a service's pods (a rolling restart). Owners and platform admins. */
export const k2ServiceRestartPermission = createPermission({
  name: 'k2.service.restart',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a service's container logs (current and previous runs, followed or downloaded).
 * Allowed to every signed-in user by K2's policy; restrict it per service where logs
 * may hold sensitive data.
 */
export const k2InstanceLogsReadPermission = createPermission({
  name: 'k2.instance.logs.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Take one instance of a service out of traffic and put it back, restart it, or
 * destroy it. Owners and platform admins.
 */
export const k2InstanceManagePermission = createPermission({
  name: 'k2.instance.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a service's Nginx sites: the current version, the version history, diffs and
 * rendered config. Allowed to every signed-in user by K2's policy.
 */
export const k2TrafficSiteReadPermission = createPermission({
  name: 'k2.traffic.site.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Publish a new version of a service's Nginx site, or roll it back (a publish of an
 * older version). Owners and platform admins. In an environment whose changes need
 * approval the publish waits for an approver (`k2.traffic.site.approve`).
 */
export const k2TrafficSitePublishPermission = createPermission({
  name: 'k2.traffic.site.publish',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Approve or reject a publish (or rollback) of a service's Nginx site waiting in an
 * environment that needs approval. A resource permission on the waiting change
 * (resource ref: its id), decided by the Traffic backend's rules with the change's
 * own facts: K2's policy allows members of the environment's approver group and
 * platform admins, never the change's requester.
 */
export const k2TrafficSiteApprovePermission = createPermission({
  name: 'k2.traffic.site.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_K2_TRAFFIC_SITE_CHANGE,
});

/**
 * Read the Nginx clusters, their current bundles and what each host applied (never
 * the agent tokens). Allowed to every signed-in user by K2's policy.
 */
export const k2TrafficClustersReadPermission = createPermission({
  name: 'k2.traffic.clusters.read',
  attributes: { action: 'read' },
});

/**
 * Read a service's volumes (PVCs K2 created): status, capacity, used bytes and which
 * releases mount them. Allowed to every signed-in user by K2's policy.
 */
export const k2VolumeReadPermission = createPermission({
  name: 'k2.volume.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create, expand or delete a service's volumes. Owners and platform admins; a delete
 * is still refused while a release mounts the volume.
 */
export const k2VolumeManagePermission = createPermission({
  name: 'k2.volume.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a service's config files: names, versions and their metadata, and the contents
 * of files not marked sensitive. Allowed to every signed-in user by K2's policy.
 */
export const k2ConfigReadPermission = createPermission({
  name: 'k2.config.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read the contents of a service's sensitive config files (kept as Secrets, never in
 * K2's database). Owners and platform admins.
 */
export const k2ConfigSensitiveReadPermission = createPermission({
  name: 'k2.config.sensitive.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create a config file, save a new version, restore an older one or delete the file.
 * Owners and platform admins.
 */
export const k2ConfigWritePermission = createPermission({
  name: 'k2.config.write',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a service's alert rules, incidents and alert history, and a team's incidents on
 * the Alerts overview. Allowed to every signed-in user by K2's policy.
 */
export const k2AlertReadPermission = createPermission({
  name: 'k2.alert.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create, edit, enable, disable and delete a service's alert rules made from a
 * template. Owners and platform admins.
 */
export const k2AlertRuleManagePermission = createPermission({
  name: 'k2.alert.rule.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Add, change and remove alert rule templates, and write rules as raw PromQL: what
 * every service's rules compile to. Platform admins only.
 */
export const k2AlertTemplateManagePermission = createPermission({
  name: 'k2.alert.template.manage',
  attributes: { action: 'update' },
});

/**
 * Acknowledge or resolve a service's incidents (from the Alerts tab or a message's
 * link). Owners and platform admins.
 */
export const k2AlertIncidentUpdatePermission = createPermission({
  name: 'k2.alert.incident.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create and expire Alertmanager silences for a service's alerts. Owners and platform
 * admins.
 */
export const k2AlertSilenceManagePermission = createPermission({
  name: 'k2.alert.silence.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Change a team's alert settings: channels, message templates, quiet hours and the
 * escalation policy. Allowed to signed-in users by K2's policy; the Alerts backend then
 * lets only the team's members (and platform admins) change their team's settings.
 */
export const k2AlertTeamManagePermission = createPermission({
  name: 'k2.alert.team.manage',
  attributes: { action: 'update' },
});

/**
 * Read the cluster checks (node pressure, disks almost full, a service's replicas
 * packed on one node, pods pending too long). Platform admins.
 */
export const k2AlertClusterReadPermission = createPermission({
  name: 'k2.alert.cluster.read',
  attributes: { action: 'read' },
});

/**
 * Browse the Middleware store: its templates, each environment's middleware policy and
 * instances across services (never a secret value). Allowed to every signed-in user by
 * K2's policy.
 */
export const k2MiddlewareStoreReadPermission = createPermission({
  name: 'k2.middleware.store.read',
  attributes: { action: 'read' },
});

/**
 * Read a service's middleware instances and bindings (never a secret value). Allowed to
 * every signed-in user by K2's policy.
 */
export const k2MiddlewareReadPermission = createPermission({
  name: 'k2.middleware.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Create a middleware instance for a service, renew, resize, upgrade, delete, restore
 * and bind it. Owners and platform admins. In an environment that needs approval the
 * instance waits for an approver (`k2.middleware.approve`).
 */
export const k2MiddlewareManagePermission = createPermission({
  name: 'k2.middleware.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a middleware instance's connection info with its passwords (read from its
 * Kubernetes Secret for the response). Owners and platform admins.
 */
export const k2MiddlewareConnectionReadPermission = createPermission({
  name: 'k2.middleware.connection.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Approve or reject a middleware instance waiting in an environment that needs
 * approval. A resource permission on the instance (resource ref: its id), decided by
 * the Middleware store backend's rules with the instance's own facts: K2's policy
 * allows members of the environment's approver group and platform admins, never the
 * instance's requester.
 */
export const k2MiddlewareApprovePermission = createPermission({
  name: 'k2.middleware.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_K2_MIDDLEWARE_INSTANCE,
});

/**
 * Open a shell in a service's running containers, or start a debug container in its
 * pods, from the Deploy tab (where the environment's `k2.shell` policy allows it).
 * K2's policy allows the service's owners only: platform admins are not owners by
 * default and read the recorded sessions instead.
 */
export const k2InstanceExecPermission = createPermission({
  name: 'k2.instance.exec',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read the recorded shell and debug sessions of every service: who, which pod and
 * container, when, how each ended and the commands typed. Platform admins.
 */
export const k2ShellSessionReadPermission = createPermission({
  name: 'k2.shell.session.read',
  attributes: { action: 'read' },
});

/**
 * Read a service's builds: history, status, commit, image and digest. Allowed to every
 * signed-in user by K2's policy, as releases are.
 */
export const k2BuildReadPermission = createPermission({
  name: 'k2.build.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Read a build's log and the Dockerfile it used: a build's output may show what the
 * service's code prints. Owners and platform admins.
 */
export const k2BuildLogsReadPermission = createPermission({
  name: 'k2.build.logs.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Start a build of a service (from the portal, the API or `k2:build`) and cancel one.
 * Owners and platform admins; push webhooks start builds as the builds plugin itself.
 */
export const k2BuildRunPermission = createPermission({
  name: 'k2.build.run',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Permissions K2's policy grants to a service's owners (and platform admins) only. */
export const k2OwnerPermissions = [
  k2ReleaseCreatePermission,
  k2ServiceScalePermission,
  k2ServiceRestartPermission,
  k2InstanceManagePermission,
  k2TrafficSitePublishPermission,
  k2VolumeManagePermission,
  k2ConfigSensitiveReadPermission,
  k2ConfigWritePermission,
  k2AlertRuleManagePermission,
  k2AlertIncidentUpdatePermission,
  k2AlertSilenceManagePermission,
  k2MiddlewareManagePermission,
  k2MiddlewareConnectionReadPermission,
  k2BuildLogsReadPermission,
  k2BuildRunPermission,
];

/** Every permission K2 defines, for registration with the permission framework. */
export const k2Permissions = [
  k2ServiceRuntimeReadPermission,
  k2ClustersReadPermission,
  k2ReleaseReadPermission,
  k2ActivityReadPermission,
  k2ReleaseCreatePermission,
  k2ReleaseApprovePermission,
  k2CanaryStartApprovedPermission,
  k2ServiceScalePermission,
  k2ServiceRestartPermission,
  k2InstanceLogsReadPermission,
  k2InstanceManagePermission,
  k2TrafficSiteReadPermission,
  k2TrafficSitePublishPermission,
  k2TrafficSiteApprovePermission,
  k2TrafficClustersReadPermission,
  k2VolumeReadPermission,
  k2VolumeManagePermission,
  k2ConfigReadPermission,
  k2ConfigSensitiveReadPermission,
  k2ConfigWritePermission,
  k2AlertReadPermission,
  k2AlertRuleManagePermission,
  k2AlertTemplateManagePermission,
  k2AlertIncidentUpdatePermission,
  k2AlertSilenceManagePermission,
  k2AlertTeamManagePermission,
  k2AlertClusterReadPermission,
  k2MiddlewareStoreReadPermission,
  k2MiddlewareReadPermission,
  k2MiddlewareManagePermission,
  k2MiddlewareConnectionReadPermission,
  k2MiddlewareApprovePermission,
  k2InstanceExecPermission,
  k2ShellSessionReadPermission,
  k2BuildReadPermission,
  k2BuildLogsReadPermission,
  k2BuildRunPermission,
];

export type {
  K2ApprovalCondition,
  K2ApprovalResourceType,
  K2ReleaseCondition,
} from './releaseConditions';
export {
  createK2ApprovalConditionalDecision,
  createK2ReleaseConditionalDecision,
  K2_APPROVAL_RESOURCE_PLUGINS,
  K2_APPROVAL_RULE_NAMES,
  k2ApprovalConditions,
  k2ReleaseConditions,
} from './releaseConditions';
