import {
  catalogEntityCreatePermission,
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogEntityValidatePermission,
  catalogIngestionManagePermission,
  catalogIngestionReadPermission,
  catalogLocationAnalyzePermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
  catalogPermissions,
} from '@backstage/plugin-catalog-common/alpha';
import {
  kubernetesClustersReadPermission,
  kubernetesPermissions,
  kubernetesProxyPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import {
  AuthorizeResult,
  createPermission,
  Permission,
} from '@backstage/plugin-permission-common';
import {
  actionExecutePermission,
  scaffolderPermissions,
  taskCancelPermission,
  taskCreatePermission,
  taskReadPermission,
  templateDryRunPermission,
  templateManagementPermission,
  templateParameterReadPermission,
  templateStepReadPermission,
} from '@backstage/plugin-scaffolder-common/alpha';
import {
  k2ActivityReadPermission,
  k2ClustersReadPermission,
  k2InstanceExecPermission,
  k2InstanceLogsReadPermission,
  k2InstanceManagePermission,
  k2MiddlewareApprovePermission,
  k2MiddlewareConnectionReadPermission,
  k2MiddlewareManagePermission,
  k2MiddlewareReadPermission,
  k2MiddlewareStoreReadPermission,
  k2Permissions,
  k2ReleaseApprovePermission,
  k2ReleaseCreatePermission,
  k2ReleaseReadPermission,
  k2ServiceRestartPermission,
  k2ServiceRuntimeReadPermission,
  k2ServiceScalePermission,
  k2ShellSessionReadPermission,
  k2BuildReadPermission,
  k2BuildLogsReadPermission,
  k2BuildRunPermission,
  k2TrafficClustersReadPermission,
  k2TrafficSiteApprovePermission,
  k2TrafficSitePublishPermission,
  k2TrafficSiteReadPermission,
} from '@internal/plugin-k2-common';
import { K2PermissionPolicy, k2PolicyTable } from './K2PermissionPolicy';

const ADMINS = 'group:default/platform-admins';
const policy = new K2PermissionPolicy({ platformAdminGroup: ADMINS });

const user = (...ownershipEntityRefs: string[]) => ({
  identity: {
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0],
    ownershipEntityRefs,
  },
  info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
  token: 'token',
  credentials: {} as any,
});

const alice = user('user:default/alice', 'group:default/payments-team');
const bob = user('user:default/bob', 'group:default/storefront-team');
const carol = user('user:default/carol', 'group:default/release-approvers');
const dave = user('user:default/dave', ADMINS);

const resultOf = async (
  permission: Permission,
  who?: ReturnType<typeof user>,
  p: K2PermissionPolicy = policy,
) => (await p.handle({ permission }, who)).result;

const isEntityOwner = (claims: string[]) => ({
  result: AuthorizeResult.CONDITIONAL,
  pluginId: 'catalog',
  resourceType: 'catalog-entity',
  conditions: {
    rule: 'IS_ENTITY_OWNER',
    resourceType: 'catalog-entity',
    params: { claims },
  },
});

const SIGNED_IN = [
  k2ServiceRuntimeReadPermission,
  k2ClustersReadPermission,
  k2ReleaseReadPermission,
  k2ActivityReadPermission,
  k2InstanceLogsReadPermission,
  k2TrafficSiteReadPermission,
  k2TrafficClustersReadPermission,
  k2MiddlewareStoreReadPermission,
  k2MiddlewareReadPermission,
  k2BuildReadPermission,
  catalogEntityReadPermission,
  catalogEntityRefreshPermission,
  catalogEntityCreatePermission,
  kubernetesClustersReadPermission,
  kubernetesResourcesReadPermission,
  taskCreatePermission,
  taskReadPermission,
  taskCancelPermission,
  actionExecutePermission,
  templateParameterReadPermission,
  templateStepReadPermission,
];

const ADMINS_ONLY = [
  kubernetesProxyPermission,
  catalogLocationCreatePermission,
  catalogLocationDeletePermission,
  catalogLocationReadPermission,
  catalogLocationAnalyzePermission,
  catalogEntityValidatePermission,
  catalogIngestionReadPermission,
  catalogIngestionManagePermission,
  templateManagementPermission,
  templateDryRunPermission,
  k2ShellSessionReadPermission,
];

const OWNERS = [
  k2ReleaseCreatePermission,
  k2ServiceScalePermission,
  k2ServiceRestartPermission,
  k2InstanceManagePermission,
  k2TrafficSitePublishPermission,
  k2MiddlewareManagePermission,
  k2MiddlewareConnectionReadPermission,
  k2BuildLogsReadPermission,
  k2BuildRunPermission,
  catalogEntityDeletePermission,
];

describe('K2PermissionPolicy', () => {
  it('decides every permission K2, the catalog, the scaffolder and the Kubernetes plugin define', () => {
    const decided = new Set(k2PolicyTable.map(e => e.permission.name));
    const undecided = [
      ...k2Permissions,
      ...catalogPermissions,
      ...scaffolderPermissions,
      ...kubernetesPermissions,
    ]
      .map(p => p.name)
      .filter(name => !decided.has(name));
    expect(undecided).toEqual([]);
  });

  it('denies a permission it does not decide, to users and platform admins alike', async () => {
    const unknown = createPermission({
      name: 'some-plugin.thing.delete',
      attributes: { action: 'delete' },
    });
    expect(await resultOf(unknown, bob)).toBe(AuthorizeResult.DENY);
    expect(await resultOf(unknown, dave)).toBe(AuthorizeResult.DENY);
    expect(await resultOf(unknown)).toBe(AuthorizeResult.DENY);
  });

  it('keeps the Kubernetes proxy (K2’s own service-account token) for platform admins', async () => {
    expect(await resultOf(kubernetesProxyPermission, bob)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await resultOf(kubernetesProxyPermission, alice)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await resultOf(kubernetesProxyPermission, dave)).toBe(
      AuthorizeResult.ALLOW,
    );
  });

  it.each(ADMINS_ONLY.map(p => [p.name, p] as const))(
    'gives %s to platform admins only',
    async (_, permission) => {
      expect(await resultOf(permission, bob)).toBe(AuthorizeResult.DENY);
      expect(await resultOf(permission, dave)).toBe(AuthorizeResult.ALLOW);
      expect(await resultOf(permission)).toBe(AuthorizeResult.DENY);
    },
  );

  it.each(SIGNED_IN.map(p => [p.name, p] as const))(
    'gives %s to every signed-in user, not to anonymous callers',
    async (_, permission) => {
      expect(await resultOf(permission, bob)).toBe(AuthorizeResult.ALLOW);
      expect(await resultOf(permission, dave)).toBe(AuthorizeResult.ALLOW);
      expect(await resultOf(permission)).toBe(AuthorizeResult.DENY);
    },
  );

  it.each(OWNERS.map(p => [p.name, p] as const))(
    'gives %s to the owners of the entity, as the catalog decides, and to platform admins',
    async (_, permission) => {
      expect(await policy.handle({ permission }, alice)).toEqual(
        isEntityOwner(['user:default/alice', 'group:default/payments-team']),
      );
      expect(await policy.handle({ permission }, bob)).toEqual(
        isEntityOwner(['user:default/bob', 'group:default/storefront-team']),
      );
      expect(await resultOf(permission, dave)).toBe(AuthorizeResult.ALLOW);
      expect(await resultOf(permission)).toBe(AuthorizeResult.DENY);
    },
  );

  it('gives k2.instance.exec to the owners of the service alone, platform admins included only where they own it', async () => {
    const permission = k2InstanceExecPermission;
    expect(await policy.handle({ permission }, alice)).toEqual(
      isEntityOwner(['user:default/alice', 'group:default/payments-team']),
    );
    // An admin is asked as any user: the catalog decides whether they own it.
    expect(await policy.handle({ permission }, dave)).toEqual(
      isEntityOwner(['user:default/dave', ADMINS]),
    );
    expect(await resultOf(permission)).toBe(AuthorizeResult.DENY);
  });

  describe('approving a release (four eyes)', () => {
    const approve = k2ReleaseApprovePermission;

    it('lets approvers decide releases they did not ask for', async () => {
      expect(await policy.handle({ permission: approve }, carol)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-deploy',
        resourceType: 'k2-release',
        conditions: {
          allOf: [
            {
              rule: 'IS_ENVIRONMENT_APPROVER',
              resourceType: 'k2-release',
              params: {
                claims: [
                  'user:default/carol',
                  'group:default/release-approvers',
                ],
              },
            },
            {
              not: {
                rule: 'IS_REQUESTER',
                resourceType: 'k2-release',
                params: { userEntityRef: 'user:default/carol' },
              },
            },
          ],
        },
      });
    });

    it('lets platform admins decide any release but their own', async () => {
      expect(await policy.handle({ permission: approve }, dave)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-deploy',
        resourceType: 'k2-release',
        conditions: {
          not: {
            rule: 'IS_REQUESTER',
            resourceType: 'k2-release',
            params: { userEntityRef: 'user:default/dave' },
          },
        },
      });
    });

    it('with k2.approvals.requesterMayApprove, lets requesters decide their own releases', async () => {
      const lenient = new K2PermissionPolicy({
        platformAdminGroup: ADMINS,
        requesterMayApprove: true,
      });
      expect(await lenient.handle({ permission: approve }, carol)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-deploy',
        resourceType: 'k2-release',
        conditions: {
          rule: 'IS_ENVIRONMENT_APPROVER',
          resourceType: 'k2-release',
          params: {
            claims: ['user:default/carol', 'group:default/release-approvers'],
          },
        },
      });
      expect(await resultOf(approve, dave, lenient)).toBe(
        AuthorizeResult.ALLOW,
      );
    });

    it('never lets anonymous callers approve', async () => {
      expect(await resultOf(approve)).toBe(AuthorizeResult.DENY);
    });
  });

  describe('approving a site change (four eyes, as releases)', () => {
    const approve = k2TrafficSiteApprovePermission;

    it('has the Traffic backend decide, with the same rules as releases', async () => {
      expect(await policy.handle({ permission: approve }, carol)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-traffic',
        resourceType: 'k2-traffic-site-change',
        conditions: {
          allOf: [
            {
              rule: 'IS_ENVIRONMENT_APPROVER',
              resourceType: 'k2-traffic-site-change',
              params: {
                claims: [
                  'user:default/carol',
                  'group:default/release-approvers',
                ],
              },
            },
            {
              not: {
                rule: 'IS_REQUESTER',
                resourceType: 'k2-traffic-site-change',
                params: { userEntityRef: 'user:default/carol' },
              },
            },
          ],
        },
      });
      expect(await policy.handle({ permission: approve }, dave)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-traffic',
        resourceType: 'k2-traffic-site-change',
        conditions: {
          not: {
            rule: 'IS_REQUESTER',
            resourceType: 'k2-traffic-site-change',
            params: { userEntityRef: 'user:default/dave' },
          },
        },
      });
      expect(await resultOf(approve)).toBe(AuthorizeResult.DENY);
    });
  });
  describe('approving a middleware instance (four eyes, as releases)', () => {
    const approve = k2MiddlewareApprovePermission;

    it('has the Middleware store backend decide, never for the requester', async () => {
      expect(await policy.handle({ permission: approve }, carol)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-middleware-store',
        resourceType: 'k2-middleware-instance',
        conditions: {
          allOf: [
            {
              rule: 'IS_ENVIRONMENT_APPROVER',
              resourceType: 'k2-middleware-instance',
              params: {
                claims: [
                  'user:default/carol',
                  'group:default/release-approvers',
                ],
              },
            },
            {
              not: {
                rule: 'IS_REQUESTER',
                resourceType: 'k2-middleware-instance',
                params: { userEntityRef: 'user:default/carol' },
              },
            },
          ],
        },
      });
      expect(await policy.handle({ permission: approve }, dave)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'k2-middleware-store',
        resourceType: 'k2-middleware-instance',
        conditions: {
          not: {
            rule: 'IS_REQUESTER',
            resourceType: 'k2-middleware-instance',
            params: { userEntityRef: 'user:default/dave' },
          },
        },
      });
      expect(await resultOf(approve)).toBe(AuthorizeResult.DENY);
    });
  });
});
