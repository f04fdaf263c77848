import { k2PluginFetch } from '@internal/plugin-k2-node';
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
import {
  CatalogService,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  K2StorageClient,
  K2StorageVolumeResourceList,
} from '@internal/plugin-k2-storage-common';

type VolumeResource = K2StorageVolumeResourceList['items'][number];

/** The `spec.type` of the catalog Resource each volume becomes. */
export const VOLUME_RESOURCE_TYPE = 'volume';

const PROVIDER_NAME = 'k2-volumes';
const LOCATION = 'k2-storage:volumes';

/**
 * The catalog name of a volume's Resource: `<service>-<environment>-<volume>`, cut to
 * the catalog's 63 characters with a stable suffix when it would be longer.
 */
export function volumeResourceName(volume: VolumeResource): string {
  const { name } = parseEntityRef(volume.service);
  const full = `${name}-${volume.environment}-${volume.name}`;
  if (full.length <= 63) return full;
  let hash = 0;
  for (const c of `${volume.service}\0${volume.environment}\0${volume.name}`) {
    hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  }
  return `${full.slice(0, 54)}-${hash.toString(16).padStart(8, '0')}`;
}

/**
 * Emits every volume K2 made as a catalog `Resource` of type `volume` that its service
 * depends on (`spec.dependencyOf`, so the catalog gives the service a `dependsOn`
 * relation), owned by the service's owner and in its system, annotated with its
 * environment, class and size.
 *
 * Invariants: each run is a full mutation of what the Storage API lists, so a deleted
 * volume's Resource goes with the next run; a volume whose service the catalog does not
 * hold is left out (it would have no owner); nothing is applied when the Storage API
 * cannot be read, so the catalog keeps the last known volumes.
 */
export class VolumeEntityProvider implements EntityProvider {
  readonly #auth: AuthService;
  readonly #catalog: CatalogService;
  readonly #logger: LoggerService;
  readonly #client: K2StorageClient;
  #connection?: EntityProviderConnection;

  constructor(options: {
    auth: AuthService;
    discovery: DiscoveryService;
    catalog: CatalogService;
    logger: LoggerService;
  }) {
    this.#auth = options.auth;
    this.#catalog = options.catalog;
    this.#logger = options.logger;
    this.#client = new K2StorageClient({
      discoveryApi: options.discovery,
      fetchApi: k2PluginFetch(options.auth, 'k2-storage'),
    });
  }

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.#connection = connection;
  }

  /** Reads every volume and replaces every entity of this provider. */
  async run(): Promise<void> {
    if (!this.#connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    const { items: volumes } = await this.#client.getAllVolumes();
    const services = [...new Set(volumes.map(v => v.service))];
    const credentials = await this.#auth.getOwnServiceCredentials();
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
    const entities = volumes.flatMap(volume => {
      const service = byRef.get(volume.service);
      if (!service) {
        this.#logger.warn(
          `Volume ${volume.name} of ${volume.service} in ${volume.environment} left out of the catalog: the catalog has no such service`,
        );
        return [];
      }
      return [{ entity: volumeEntity(volume, service), locationKey: LOCATION }];
    });
    await this.#connection.applyMutation({ type: 'full', entities });
    this.#logger.info(
      `${entities.length} volume resources applied to the catalog`,
    );
  }
}

function volumeEntity(volume: VolumeResource, service: Entity): Entity {
  const spec = service.spec as { owner?: string; system?: string };
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: volumeResourceName(volume),
      namespace: service.metadata.namespace ?? 'default',
      title: `${volume.name} (${volume.environment})`,
      description: `Volume ${volume.name} of ${service.metadata.name} in ${volume.environment}: ${volume.size}, storage class ${volume.storageClass}`,
      annotations: {
        [ANNOTATION_LOCATION]: LOCATION,
        [ANNOTATION_ORIGIN_LOCATION]: LOCATION,
        'k2.io/environment': volume.environment,
        'k2.io/storage-class': volume.storageClass,
        'k2.io/volume-size': volume.size,
      },
      tags: ['volume'],
    },
    spec: {
      type: VOLUME_RESOURCE_TYPE,
      owner: spec.owner ?? 'unknown',
      ...(spec.system ? { system: spec.system } : {}),
      dependencyOf: [stringifyEntityRef(service)],
    },
  };
}
