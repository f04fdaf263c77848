import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  DefinitivePolicyDecision,
  PermissionCriteria,
  PermissionCondition,
} from '@backstage/plugin-permission-common';
import {
  k2OwnerPermissions,
  k2ReleaseApprovePermission,
} from '@internal/plugin-k2-common';
import k2CorePlugin from '@internal/plugin-k2-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { JsonObject } from '@backstage/types';
import knexFactory, { Knex } from 'knex';
import { k2DeployPlugin } from '../plugin';
import { k2ReleaseConditions } from '../permissions/rules';

export const ALICE = 'user:default/alice'; // owner
export const BOB = 'user:default/bob'; // another team
export const CAROL = 'user:default/carol'; // release approver
export const DAVE = 'user:default/dave'; // platform admin
/** In the owning team and in the approver group. */
export const ERIN = 'user:default/erin';

/** The owning team of the test services. */
export const OWNER_GROUP = 'group:default/shop-team';
/** The approver group of the test environments that need approval. */
const APPROVERS = 'group:default/release-approvers';
/** `k2.platformAdminGroup` of the test backend. */
const PLATFORM_ADMINS = 'group:default/platform-admins';

const groups: Record<string, string[]> = {
  [ALICE]: [ALICE, OWNER_GROUP],
  [BOB]: [BOB, 'group:default/other-team'],
  [CAROL]: [CAROL, APPROVERS],
  [DAVE]: [DAVE, PLATFORM_ADMINS],
  [ERIN]: [ERIN, OWNER_GROUP, APPROVERS],
};

/**
 * The conditions K2's policy (`K2PermissionPolicy` in packages/backend, whose unit
 * tests assert the same) returns for approving or rejecting a release, four eyes on:
 * approvers, and platform admins, but never the release's requester.
 */
function approvalConditions(
  user: string,
): PermissionCriteria<PermissionCondition<'k2-release'>> {
  const claims = groups[user] ?? [user];
  const notRequester = {
    not: k2ReleaseConditions.isRequester({ userEntityRef: user }),
  };
  return claims.includes(PLATFORM_ADMINS)
    ? notRequester
    : {
        allOf: [
          k2ReleaseConditions.isEnvironmentApprover({ claims }),
          notRequester,
        ],
      };
}

const OWNER_ONLY = k2OwnerPermissions.map(p => p.name);

/** Request headers of a signed-in user. */
export const as = (user: string) => ({
  Authorization: `Bearer ${mockCredentials.user.token(user)}`,
});

/** A K2 service entity owned by {@link OWNER_GROUP}. */
export function serviceEntity(
  name: string,
  annotations: Record<string, string>,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name, ...annotations },
    },
    spec: { type: 'service', owner: OWNER_GROUP, lifecycle: 'production' },
  };
}

/**
 * The k2-deploy plugin in a test backend, on sandbox clusters and a database the
 * caller owns (so a second backend can take over from the first), with the `k2` core
 * plugin that owns the activity log. Permissions decide as K2's policy does (the
 * policy itself has its own tests): owner-only permissions for the owning team and
 * platform admins, reads for everyone; approvals get the policy's conditions on the
 * release, evaluated by the Deploy backend's own permission endpoint (its rules, its
 * releases), as the permission backend has them evaluated.
 */
export function startK2DeployBackend(options: {
  entities: Entity[];
  clusters: SandboxCluster[];
  knex: Knex;
  /** `k2` config besides the clusters' access settings. */
  k2: JsonObject;
}) {
  return startTestBackend({
    features: [
      k2DeployPlugin,
      // The activity log's owner, as in the real backend.
      k2CorePlugin,
      catalogServiceMock.factory({ entities: options.entities }),
      createServiceFactory({
        service: coreServices.permissions,
        deps: { auth: coreServices.auth, discovery: coreServices.discovery },
        factory: ({ auth, discovery }) => ({
          async authorize(requests, { credentials }) {
            const user = (credentials.principal as { userEntityRef?: string })
              .userEntityRef;
            const memberOf = (group: string) =>
              groups[user ?? '']?.includes(group) ?? false;
            /** What the Deploy backend's rules say of these conditions on a release. */
            const onRelease = async (
              resourceRef: string,
              conditions: PermissionCriteria<PermissionCondition<'k2-release'>>,
            ) => {
              const { token } = await auth.getPluginRequestToken({
                onBehalfOf: await auth.getOwnServiceCredentials(),
                targetPluginId: 'k2-deploy',
              });
              const response = await fetch(
                `${await discovery.getBaseUrl(
                  'k2-deploy',
                )}/.well-known/backstage/permissions/apply-conditions`,
                {
                  method: 'POST',
                  headers: {
                    'content-type': 'application/json',
                    authorization: `Bearer ${token}`,
                  },
                  body: JSON.stringify({
                    items: [
                      {
                        id: '0',
                        resourceRef,
                        resourceType: 'k2-release',
                        conditions,
                      },
                    ],
                  }),
                },
              );
              if (!response.ok) {
                throw new Error(
                  `apply-conditions: ${
                    response.status
                  } ${await response.text()}`,
                );
              }
              const body = await response.json();
              return body.items[0].result as DefinitivePolicyDecision['result'];
            };
            return Promise.all(
              requests.map(async (r): Promise<DefinitivePolicyDecision> => {
                if (r.permission.name === k2ReleaseApprovePermission.name) {
                  if (!user || !r.resourceRef) {
                    return { result: AuthorizeResult.DENY };
                  }
                  return {
                    result: await onRelease(
                      r.resourceRef,
                      approvalConditions(user),
                    ),
                  };
                }
                return {
                  result:
                    OWNER_ONLY.includes(r.permission.name) &&
                    !memberOf(OWNER_GROUP) &&
                    !memberOf(PLATFORM_ADMINS)
                      ? AuthorizeResult.DENY
                      : AuthorizeResult.ALLOW,
                };
              }),
            );
          },
          async authorizeConditional() {
            throw new Error('not used');
          },
        }),
      }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const user = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: user,
              ownershipEntityRefs: groups[user] ?? [user],
            };
          },
        }),
      }),
      // Each plugin has a database of its own, as in a real backend: the Deploy
      // plugin the caller's, the k2 core plugin (the activity log) a fresh one.
      createServiceFactory({
        service: coreServices.database,
        deps: { plugin: coreServices.pluginMetadata },
        factory({ plugin }) {
          const client =
            plugin.getId() === 'k2-deploy'
              ? options.knex
              : knexFactory({
                  client: 'better-sqlite3',
                  connection: ':memory:',
                  useNullAsDefault: true,
                });
          return mockServices.database({ knex: client });
        },
      }),
      mockServices.rootConfig.factory({
        data: {
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: options.clusters.map(c => ({
                  name: c.options.name,
                  url: c.url,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: c.tokens[0],
                })),
              },
            ],
          },
          k2: {
            platformAdminGroup: 'group:default/platform-admins',
            clusterAccess: {
              backoff: { initial: { milliseconds: 100 }, max: { seconds: 1 } },
            },
            ...options.k2,
          },
        },
      }),
    ],
  });
}
