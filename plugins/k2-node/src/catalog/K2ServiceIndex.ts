import {
  AuthService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { HumanDuration } from '@backstage/types';
import {
  ANNOTATION_ENVIRONMENTS,
  ANNOTATION_KUBERNETES_ID,
  isK2Service,
  K2EnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';

/** Entities fetched per catalog page during a refresh. */
const PAGE_SIZE = 500;

/** Default time between two full refreshes. */
export const DEFAULT_SERVICE_INDEX_REFRESH: HumanDuration = { seconds: 30 };

/**
 * The catalog's K2 services (Components carrying `k2.io/environments`), kept in memory
 * so a page view resolves a service's K2 settings without a round trip to the catalog.
 *
 * The index is refreshed in full on a schedule; a service it does not hold yet (just
 * registered) is read from the catalog and added. It is read with the plugin's own
 * credentials: callers decide who may see what through K2's permissions, which policies
 * can restrict per entity.
 */
export class K2ServiceIndex {
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #logger: LoggerService;
  #entities = new Map<string, Entity>();
  /** Entity refs by kubernetes-id; built on first use after the entities change. */
  #byKubernetesId?: Map<string, string[]>;
  /** Claims by workload identity; built on first use after the entities change. */
  #claims?: { model: K2EnvironmentModel; byIdentity: Map<string, string[]> };
  #refreshedAt?: Date;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    logger: LoggerService;
  }) {
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#logger = options.logger;
  }

  /**
   * Refreshes the index in full now (without waiting for it), then on a schedule every
   * `frequency`. The first refresh does not wait for the scheduler's first run, so each
   * plugin's index holds the catalog's services from the start whatever runs its tasks
   * (a scheduler may first run a task later, or, in a test backend, once for several
   * plugins' tasks of the same id).
   */
  async schedule(options: {
    scheduler: SchedulerService;
    frequency: HumanDuration;
  }): Promise<void> {
    const refresh = async () => {
      try {
        await this.refresh();
      } catch (error) {
        // Keep serving the previous index; the next run tries again.
        this.#logger.warn(`Could not refresh the K2 service index: ${error}`);
      }
    };
    void refresh();
    await options.scheduler.scheduleTask({
      id: 'k2-service-index-refresh',
      scope: 'local',
      frequency: options.frequency,
      initialDelay: options.frequency,
      timeout: { minutes: 5 },
      fn: refresh,
    });
  }

  /** Number of services held, and when the last full refresh finished. */
  get status(): { services: number; refreshedAt?: string } {
    return {
      services: this.#entities.size,
      refreshedAt: this.#refreshedAt?.toISOString(),
    };
  }

  /**
   * Every service the index holds, as of its last refresh (and the services looked up
   * since): what a check across services (who else names this image or repository)
   * reads instead of the catalog.
   */
  entities(): Entity[] {
    return [...this.#entities.values()];
  }

  /** Replaces the index with every K2 service the catalog holds now. */
  async refresh(): Promise<void> {
    const credentials = await this.#auth.getOwnServiceCredentials();
    const next = new Map<string, Entity>();
    let cursor: string | undefined;
    do {
      const page = await this.#catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE_SIZE }
          : {
              filter: {
                kind: 'component',
                [`metadata.annotations.${ANNOTATION_ENVIRONMENTS}`]:
                  CATALOG_FILTER_EXISTS,
              },
              limit: PAGE_SIZE,
              totalItems: 'exclude',
            },
        { credentials },
      );
      for (const entity of page.items) next.set(keyOf(entity), entity);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    this.#entities = next;
    this.#byKubernetesId = undefined;
    this.#claims = undefined;
    this.#refreshedAt = new Date();
  }

  /**
   * The service's entity: from the index, or from the catalog when the index does not
   * hold it yet. Undefined when the catalog has no such entity.
   */
  async get(ref: CompoundEntityRef): Promise<Entity | undefined> {
    const key = stringifyEntityRef(ref).toLocaleLowerCase('en-US');
    const known = this.#entities.get(key);
    if (known) return known;
    const entity = await this.#catalog.getEntityByRef(ref, {
      credentials: await this.#auth.getOwnServiceCredentials(),
    });
    if (entity && isK2Service(entity)) {
      this.#entities.set(key, entity);
      this.#byKubernetesId = undefined;
      this.#claims = undefined;
    }
    return entity;
  }

  /**
   * Refs of the services the index holds whose workloads are labelled with this
   * kubernetes-id (the `backstage.io/kubernetes-id` annotation, else the entity's
   * name, as `readServiceSpec` resolves it): from a cluster object to its services.
   */
  entityRefsFor(kubernetesId: string): string[] {
    if (!this.#byKubernetesId) {
      const byId = new Map<string, string[]>();
      for (const entity of this.#entities.values()) {
        const id =
          entity.metadata.annotations?.[ANNOTATION_KUBERNETES_ID] ??
          entity.metadata.name;
        const refs = byId.get(id) ?? [];
        refs.push(stringifyEntityRef(entity));
        byId.set(id, refs);
      }
      this.#byKubernetesId = byId;
    }
    return this.#byKubernetesId.get(kubernetesId) ?? [];
  }

  /**
   * Refs of the services the index holds that claim one workload identity: the same
   * namespace and `backstage.io/kubernetes-id` in one environment, so the same
   * Deployment and Service. Only targets whose identity is valid claim anything.
   *
   * By entity ref (`kind:namespace/name`, compared in lower case). The service K2
   * stamped on the workload holds the claim (see `K2ServiceResolver`); where none is
   * stamped, the first of these does. Entity ref order is the same on every backend
   * replica and after every restart, which the time an index first saw an entity is not.
   */
  claimants(
    model: K2EnvironmentModel,
    environment: string,
    namespace: string,
    kubernetesId: string,
  ): string[] {
    if (this.#claims?.model !== model) {
      const byIdentity = new Map<string, string[]>();
      for (const entity of this.#entities.values()) {
        const spec = readServiceSpec(entity, model);
        const ref = stringifyEntityRef(entity);
        for (const target of spec.targets) {
          if (target.identityProblem) continue;
          const key = identityKey(
            target.environment.name,
            target.namespace,
            spec.kubernetesId,
          );
          const refs = byIdentity.get(key) ?? [];
          refs.push(ref);
          byIdentity.set(key, refs);
        }
      }
      for (const refs of byIdentity.values()) {
        refs.sort((a, b) => compareRefs(a, b));
      }
      this.#claims = { model, byIdentity };
    }
    return (
      this.#claims.byIdentity.get(
        identityKey(environment, namespace, kubernetesId),
      ) ?? []
    );
  }
}

function identityKey(
  environment: string,
  namespace: string,
  kubernetesId: string,
) {
  return `${environment}/${namespace}/${kubernetesId}`;
}

function compareRefs(a: string, b: string) {
  const x = a.toLocaleLowerCase('en-US');
  const y = b.toLocaleLowerCase('en-US');
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

function keyOf(entity: Entity) {
  return stringifyEntityRef(entity).toLocaleLowerCase('en-US');
}
