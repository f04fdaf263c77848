import {
  BackendFeature,
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import k2PolicyModule from '@internal/plugin-permission-backend-module-k2-policy';
import { JsonObject } from '@backstage/types';
import knexFactory, { Knex } from 'knex';
import { k2Plugin } from '../plugin';
import { claimsOf, OWNER_GROUP, PLATFORM_ADMIN_GROUP } from './users';

/**
 * A cluster the test backend reaches as it reaches a real one (the stock Kubernetes
 * plugin's cluster list): a sandbox cluster fits.
 */
export interface K2TestCluster {
  readonly options: { readonly name: string };
  readonly url: string;
  /** Bearer tokens the cluster accepts; the backend uses the first. */
  readonly tokens: readonly string[];
}

/** A K2 service entity, owned by {@link OWNER_GROUP} unless `options.owner` says otherwise. */
export function serviceEntity(
  name: string,
  annotations: Record<string, string>,
  options?: { owner?: string },
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'backstage.io/kubernetes-id': name, ...annotations },
    },
    spec: {
      type: 'service',
      owner: options?.owner ?? OWNER_GROUP,
      lifecycle: 'production',
    },
  };
}

/**
 * A catalog module that feeds the catalog exactly `entities` (as a provider does), so
 * the catalog's own permission rules (`isEntityOwner`) judge the entity a request names.
 */
function testEntityProvider(entities: Entity[]) {
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'k2-test-entities',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'k2-test-entities',
            connect: connection =>
              connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  locationKey: 'k2-test-entities',
                  entity: {
                    ...entity,
                    metadata: {
                      ...entity.metadata,
                      annotations: {
                        [ANNOTATION_LOCATION]: 'k2-test:entities',
                        [ANNOTATION_ORIGIN_LOCATION]: 'k2-test:entities',
                        ...entity.metadata.annotations,
                      },
                    },
                  },
                })),
              }),
          });
        },
      });
    },
  });
}

/**
 * The mock auth service, except that a plugin calling another on a user's behalf says
 * so: the callee sees the user with the calling plugin as actor, as Backstage's own auth
 * service does. Without it the permission backend's calls to the catalog's (and the plugin
 * under test's) `apply-conditions` endpoints, and the plugin under test's calls to the
 * catalog, are refused as direct user requests.
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    const getPluginRequestToken = auth.getPluginRequestToken.bind(auth);
    auth.getPluginRequestToken = async options => {
      const principal = options.onBehalfOf.principal as {
        type: string;
        userEntityRef: string;
        actor?: { subject: string };
      };
      if (principal.type !== 'user') return getPluginRequestToken(options);
      return {
        token: mockCredentials.user.token(principal.userEntityRef, {
          actor: principal.actor ?? { subject: `plugin:${plugin.getId()}` },
        }),
      };
    };
    return auth;
  },
});

/** How long the catalog may take to process the test entities before a test starts. */
const CATALOG_READY_TIMEOUT_MS = 30_000;

/** Waits until the catalog serves every one of `entities` (processed and stitched). */
async function waitForCatalog(baseUrl: string, entities: Entity[]) {
  const refs = entities.map(e => stringifyEntityRef(e));
  const deadline = Date.now() + CATALOG_READY_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(`${baseUrl}/api/catalog/entities/by-refs`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${mockCredentials.service.token()}`,
      },
      body: JSON.stringify({ entityRefs: refs, fields: ['metadata.name'] }),
    });
    const body = response.ok ? await response.json() : { items: [] };
    if ((body.items as unknown[]).every(item => item !== null)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `The test catalog did not serve ${refs.join(
          ', ',
        )} within ${CATALOG_READY_TIMEOUT_MS} ms`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/**
 * The database service of a test backend: each plugin gets a fresh SQLite database in
 * memory, as each has its own in a real backend (`own.pluginId` gets `own.knex`, which
 * its caller closes). They are closed once every plugin has stopped: an open pool's
 * reaping timer would keep the Jest worker alive after the test file (force-exited).
 */
export function inMemoryDatabaseFactory(own?: {
  pluginId: string;
  knex: Knex;
}) {
  return createServiceFactory({
    service: coreServices.database,
    deps: {
      plugin: coreServices.pluginMetadata,
      rootLifecycle: coreServices.rootLifecycle,
    },
    factory({ plugin, rootLifecycle }) {
      if (own && plugin.getId() === own.pluginId) {
        return mockServices.database({ knex: own.knex });
      }
      const client = knexFactory({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      rootLifecycle.addShutdownHook(() => client.destroy());
      return mockServices.database({ knex: client });
    },
  });
}

/**
 * A K2 capability plugin in a test backend, on clusters (the service resolver reads
 * their watch caches) and a database the caller owns (so a second backend can take over
 * from the first), with the `k2` core plugin that owns the activity log.
 *
 * Every permission is decided as in production: by the real permission backend with
 * K2's policy module. Its conditional decisions are applied by the plugins that own the
 * resources: `isEntityOwner` by a real catalog backend holding `entities` (against the
 * entity the request names), the plugin's own conditions (such as a release's approvals)
 * by the plugin under test. Only who a user is stays a stand-in: the userInfo service
 * gives each test user its claims (see the test users). K2's own reads of the entities go
 * through a catalog service mock holding the same entities, so they need not wait for
 * processing. Resolves once the catalog serves every entity.
 */
export async function startK2PluginTestBackend(options: {
  /** The capability plugin under test. */
  plugin: BackendFeature;
  /**
   * The plugin's id: it gets `knex` as its database, every other plugin (activity
   * log, catalog) a fresh SQLite database in memory, as each has its own in a real backend.
   */
  pluginId: string;
  entities: Entity[];
  clusters: readonly K2TestCluster[];
  knex: Knex;
  /** `k2` config besides the clusters' access settings. */
  k2: JsonObject;
  /** Further backend features, such as a catalog module under test. */
  features?: BackendFeature[];
}) {
  const backend = await startTestBackend({
    features: [
      options.plugin,
      // The activity log's owner, as in the real backend.
      k2Plugin,
      permissionPlugin,
      k2PolicyModule,
      catalogPlugin,
      testEntityProvider(options.entities),
      ...(options.features ?? []),
      authWithActors,
      catalogServiceMock.factory({ entities: options.entities }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => ({
          async getUserInfo(credentials) {
            const user = (credentials.principal as { userEntityRef: string })
              .userEntityRef;
            return {
              userEntityRef: user,
              ownershipEntityRefs: claimsOf[user] ?? [user],
            };
          },
        }),
      }),
      inMemoryDatabaseFactory({
        pluginId: options.pluginId,
        knex: options.knex,
      }),
      mockServices.rootConfig.factory({
        data: {
          permission: { enabled: true },
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
            platformAdminGroup: PLATFORM_ADMIN_GROUP,
            clusterAccess: {
              backoff: { initial: { milliseconds: 100 }, max: { seconds: 1 } },
            },
            ...options.k2,
          },
        },
      }),
    ],
  });
  try {
    await waitForCatalog(
      `http://localhost:${backend.server.port()}`,
      options.entities,
    );
  } catch (error) {
    await backend.stop();
    throw error;
  }
  return backend;
}
