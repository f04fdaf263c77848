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
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  CatalogService,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import type { components } from '@internal/plugin-k2-traffic-common';

type PublishedSite = components['schemas']['PublishedSite'];

/** The `spec.type` of the catalog Resource each published site becomes. */
const NGINX_SITE_RESOURCE_TYPE = 'nginx-site';

const PROVIDER_NAME = 'k2-traffic-sites';
const LOCATION = `k2-traffic:sites`;

/**
 * The catalog name of a site's Resource: `<service>-<environment>-site`, cut to the
 * catalog's 63 characters with a stable suffix when it would be longer.
 */
function siteResourceName(site: {
  service: string;
  environment: string;
}): string {
  const { name } = parseEntityRef(site.service);
  const full = `${name}-${site.environment}-site`;
  if (full.length <= 63) return full;
  let hash = 0;
  for (const c of `${site.service}\0${site.environment}`) {
    hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  }
  return `${full.slice(0, 54)}-${hash.toString(16).padStart(8, '0')}`;
}

/**
 * Emits every published Nginx site as a catalog `Resource` of type `nginx-site` that
 * its service depends on (`spec.dependencyOf`, so the catalog gives the service a
 * `dependsOn` relation), owned by the service's owner and in its system.
 *
 * Invariants: each run is a full mutation of what the Traffic API lists, so a site's
 * Resource appears once its first version is published and no entity of this
 * provider outlives the data; a site whose service the catalog does not hold is left
 * out (it would have no owner); nothing is applied when the Traffic API cannot be
 * read, so the catalog keeps the last known sites.
 */
export class TrafficSiteEntityProvider implements EntityProvider {
  readonly #auth: AuthService;
  readonly #discovery: DiscoveryService;
  readonly #catalog: CatalogService;
  readonly #logger: LoggerService;
  #connection?: EntityProviderConnection;

  constructor(options: {
    auth: AuthService;
    discovery: DiscoveryService;
    catalog: CatalogService;
    logger: LoggerService;
  }) {
    this.#auth = options.auth;
    this.#discovery = options.discovery;
    this.#catalog = options.catalog;
    this.#logger = options.logger;
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
  }

  /** Reads the published sites and replaces every entity of this provider. */
  async run(): Promise<void> {
    if (!this.#connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    const credentials = await this.#auth.getOwnServiceCredentials();
    const { token } = await this.#auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: 'k2-traffic',
    });
    const baseUrl = await this.#discovery.getBaseUrl('k2-traffic');
    const response = await fetch(`${baseUrl}/sites`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    const sites = ((await response.json()) as { items: PublishedSite[] }).items;

    const services = [...new Set(sites.map(s => s.service))];
    const { items } = services.length
      ? await this.#catalog.getEntitiesByRefs(
          {
            entityRefs: services,
            fields: ['kind', 'metadata.namespace', 'metadata.name', 'spec'],
          },
          { credentials },
        )
      : { items: [] };
    const byRef = new Map<string, Entity>();
    items.forEach((entity, i) => {
      if (entity) byRef.set(services[i], entity);
    });

    const entities = sites.flatMap(site => {
      const service = byRef.get(site.service);
      if (!service) {
        this.#logger.warn(
          `Nginx site of ${site.service} in ${site.environment} left out of the catalog: the catalog has no such service`,
        );
        return [];
      }
      return [{ entity: siteEntity(site, service), locationKey: LOCATION }];
    });
    await this.#connection.applyMutation({ type: 'full', entities });
    this.#logger.info(
      `${entities.length} Nginx site resources applied to the catalog`,
    );
  }
}

function siteEntity(site: PublishedSite, service: Entity): Entity {
  const serviceRef = stringifyEntityRef(service);
  const spec = service.spec as { owner?: string; system?: string };
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: siteResourceName(site),
      namespace: service.metadata.namespace ?? 'default',
      title: `${site.serverNames[0] ?? service.metadata.name} (${
        site.environment
      })`,
      description: `Nginx site of ${service.metadata.name} in ${
        site.environment
      }, served by Nginx cluster ${site.cluster}: ${site.serverNames.join(
        ', ',
      )}`,
      annotations: {
        [ANNOTATION_LOCATION]: LOCATION,
        [ANNOTATION_ORIGIN_LOCATION]: LOCATION,
        'k2.io/environment': site.environment,
        'k2.io/nginx-cluster': site.cluster,
        'k2.io/traffic-version': String(site.version),
      },
      tags: ['nginx'],
    },
    spec: {
      type: NGINX_SITE_RESOURCE_TYPE,
      owner: spec.owner ?? 'unknown',
      ...(spec.system ? { system: spec.system } : {}),
      dependencyOf: [serviceRef],
    },
  };
}
