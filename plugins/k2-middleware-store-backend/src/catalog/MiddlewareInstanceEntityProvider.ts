import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';
import {
  CatalogService,
  EntityProviderConnection,
  EntityProvider,
} from '@backstage/plugin-catalog-node';
import {
  K2MiddlewareInstance,
  K2MiddlewareStoreClient,
} from '@internal/plugin-k2-middleware-store-common';
import { k2PluginFetch } from '@internal/plugin-k2-node';

const PROVIDER_NAME = 'k2-middleware-instances';
const LOCATION = 'k2-middleware-store:instances';
/** The catalog's tag format. */
const TAG = /^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/;

/** Annotations of an instance's Resource. */
export const ANNOTATION_MIDDLEWARE_INSTANCE_ID = 'k2.io/middleware-instance-id';
export const ANNOTATION_MIDDLEWARE_TEMPLATE = 'k2.io/middleware-template';
export const ANNOTATION_MIDDLEWARE_URL = 'k2.io/middleware-url';

/** Where the App Store page opens an instance's drawer. */
export function instancePageUrl(appBaseUrl: string, id: string): string {
  return `${appBaseUrl.replace(
    /\/+$/,
    '',
  )}/k2/middleware?instance=${encodeURIComponent(id)}`;
}

/**
 * Emits every middleware instance the Middleware store lists (so every one not purged
 * at the end of its retention) as a catalog `Resource`: named by the instance's
 * `entityRef` (`<environment>-<name>`), of the template's category as `spec.type`
 * (`database`, `cache`, `queue`, `coordination`), owned by its service's owner and in
 * its system, a `dependencyOf` the service it was created for and every service bound
 * to it (so each of those `dependsOn` it on the catalog graph), annotated with its K2
 * id, environment, template and its page in the portal.
 *
 * Invariants: each successful run is a full mutation of what the Middleware store
 * lists, so a purged instance's Resource goes with the next run; a rejected instance is
 * left out (it never existed in a cluster and never will); when the Middleware store
 * or the catalog cannot be read nothing is applied, so the catalog keeps the last
 * known instances, and the failure is logged once until a run succeeds again.
 */
export class MiddlewareInstanceEntityProvider implements EntityProvider {
  readonly #auth: AuthService;
  readonly #catalog: CatalogService;
  readonly #logger: LoggerService;
  readonly #client: K2MiddlewareStoreClient;
  readonly #appBaseUrl?: string;
  #connection?: EntityProviderConnection;
  /** What the last run applied, so a run that changes nothing logs nothing. */
  #applied?: string;
  #failing = false;

  constructor(options: {
    auth: AuthService;
    discovery: DiscoveryService;
    catalog: CatalogService;
    logger: LoggerService;
    /**
     * The portal's base URL (`app.baseUrl`), for each instance's link; without it (a
     * backend serving no portal) the Resources have no link.
     */
    appBaseUrl?: string;
  }) {
    this.#auth = options.auth;
    this.#catalog = options.catalog;
    this.#logger = options.logger;
    this.#appBaseUrl = options.appBaseUrl;
    this.#client = new K2MiddlewareStoreClient({
      discoveryApi: options.discovery,
      fetchApi: k2PluginFetch(options.auth, 'k2-middleware-store'),
    });
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
  }

  /**
   * Reads every instance and replaces every entity of this provider; keeps them when
   * the Middleware store or the catalog cannot be read (never throws for that).
   */
  async run(): Promise<void> {
    if (!this.#connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    let entities: Entity[];
    try {
      entities = await this.#read();
    } catch (error) {
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn(
          `Middleware instances in the catalog are kept as last read: could not read them (${
            (error as Error).message
          }); retrying quietly until it works`,
        );
      }
      return;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#logger.info('Middleware instances could be read again');
    }
    await this.#connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({ entity, locationKey: LOCATION })),
    });
    const applied = JSON.stringify(entities);
    if (applied !== this.#applied) {
      this.#applied = applied;
      this.#logger.info(
        `${entities.length} middleware instance resources applied to the catalog`,
      );
    }
  }

  async #read(): Promise<Entity[]> {
    const { items } = await this.#client.getInstances();
    const instances = items.filter(i => i.state !== 'rejected');
    const services = [...new Set(instances.map(i => i.service))];
    const credentials = await this.#auth.getOwnServiceCredentials();
    const found = services.length
      ? (
          await this.#catalog.getEntitiesByRefs(
            {
              entityRefs: services,
              fields: ['kind', 'metadata.namespace', 'metadata.name', 'spec'],
            },
            { credentials },
          )
        ).items
      : [];
    const byRef = new Map<string, Entity>();
    found.forEach((entity, i) => {
      if (entity) byRef.set(services[i], entity);
    });
    return instances.map(instance =>
      instanceEntity(
        instance,
        byRef.get(instance.service),
        this.#appBaseUrl && instancePageUrl(this.#appBaseUrl, instance.id),
      ),
    );
  }
}

/**
 * An instance's Resource. Its owner and system are its service's as the catalog holds
 * it now (the owners of the service manage the instance), else the owner recorded when
 * it was created.
 */
function instanceEntity(
  instance: K2MiddlewareInstance,
  service: Entity | undefined,
  url: string | undefined,
): Entity {
  const { namespace, name } = parseEntityRef(instance.entityRef);
  const spec = (service?.spec ?? {}) as { owner?: string; system?: string };
  const dependencyOf = [...new Set([instance.service, ...instance.bindings])];
  const serviceName = parseEntityRef(instance.service).name;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      namespace,
      title: `${instance.name} (${instance.environment})`,
      description: `${instance.product} ${instance.version} for ${serviceName} in ${instance.environment} (template ${instance.template}), in namespace ${instance.namespace} of cluster ${instance.cluster}`,
      annotations: {
        [ANNOTATION_LOCATION]: LOCATION,
        [ANNOTATION_ORIGIN_LOCATION]: LOCATION,
        [ANNOTATION_MIDDLEWARE_INSTANCE_ID]: instance.id,
        'k2.io/environment': instance.environment,
        [ANNOTATION_MIDDLEWARE_TEMPLATE]: instance.template,
        ...(url ? { [ANNOTATION_MIDDLEWARE_URL]: url } : {}),
      },
      ...(url
        ? { links: [{ url, title: 'Open in the Middleware store' }] }
        : {}),
      // A product named unlike a catalog tag is left out of the tags, not the catalog.
      tags: TAG.test(instance.product)
        ? ['middleware', instance.product]
        : ['middleware'],
    },
    spec: {
      type: instance.category,
      owner: spec.owner ?? instance.owner,
      ...(spec.system ? { system: spec.system } : {}),
      dependencyOf,
    },
  };
}
