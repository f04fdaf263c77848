import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_IMAGE,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import {
  DOCKER_HUB,
  K2ResolvedService,
  K2ServiceIndex,
} from '@internal/plugin-k2-node';
import { ServiceUnavailableError } from '@backstage/errors';
import { BuildStore } from '../database/BuildStore';
import { sourceOf } from '../sources';
import { BuildPlan } from './BuildPlanner';

/** At most this many other services are named in a problem. */
const NAMED = 3;

/** The services K2 knows, as the plugin's service index holds them. */
export type ServiceDirectory = Pick<
  K2ServiceIndex,
  'entities' | 'refresh' | 'status'
>;

const lower = (value: string) => value.toLocaleLowerCase('en-US');

/**
 * The owners of an entity as the catalog's `isEntityOwner` sees them (its `ownedBy`
 * relations), else its `spec.owner` resolved as the catalog resolves it (kind `group`,
 * the entity's namespace); lower case.
 */
export function ownersOf(entity: Entity): Set<string> {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => lower(r.targetRef));
  if (related.length > 0) return new Set(related);
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner.trim()) return new Set();
  try {
    return new Set([
      lower(
        stringifyEntityRef(
          parseEntityRef(owner.trim(), {
            defaultKind: 'group',
            defaultNamespace: entity.metadata.namespace ?? 'default',
          }),
        ),
      ),
    ]);
  } catch {
    return new Set();
  }
}

/**
 * The image repository an image annotation names, as builds and releases compare
 * them: the registry host in lower case (Docker Hub's when none is written) and the
 * path (lower case by the reference grammar). Undefined when it is not a reference.
 */
export function imageRepositoryKey(image: string | undefined) {
  const parsed = image ? tryParseImageReference(image.trim()) : undefined;
  if (!parsed) return undefined;
  return `${lower(parsed.registry ?? DOCKER_HUB)}/${parsed.path}`;
}

/** The normalised repository of an entity's `backstage.io/source-location`; undefined when it has none K2 reads. */
function sourceKeyOf(entity: Entity): string | undefined {
  try {
    return sourceOf(entity)?.key;
  } catch {
    return undefined;
  }
}

/** Whether every owner of `builder` owns `other` too: nobody who controls the builder's annotations lacks control of `other`. */
function ownedByOwnersOf(builder: Set<string>, other: Entity): boolean {
  if (builder.size === 0) return false;
  const owners = ownersOf(other);
  return [...builder].every(owner => owners.has(owner));
}

function describe(
  entities: Entity[],
  name = (e: Entity) =>
    `${stringifyEntityRef(e)} (owned by ${[...ownersOf(e)].join(', ')})`,
): string {
  const named = entities.slice(0, NAMED).map(name);
  const more = entities.length - named.length;
  return `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** `component:default/ledger-api of group:default/payments`, … */
const describeBuilders = (entities: Entity[]) =>
  describe(
    entities,
    e => `${stringifyEntityRef(e)} of ${[...ownersOf(e)].join(', ')}`,
  );

/**
 * Keeps a service's owners, who write its annotations, from building into or out of
 * another team's repositories with the platform's credentials:
 *
 * - image: a build pushes to the service's image repository when no K2 service of
 *   another owner names the same repository (a team's services may share one), or
 *   when the repository is the service's by history: it or a service of its owner
 *   naming the repository has a succeeded build there, and none of the other owners'
 *   services naming it has (the incumbent keeps building; a newcomer naming it is
 *   refused). While nobody, or both sides, built there, neither builds;
 * - source: a build clones the service's repository when no K2 service of another
 *   owner names it, or when the repository is the service's by history: it or a
 *   service of its owner naming the repository has a succeeded build of it, and none
 *   of the other owners' services naming it has (the incumbent keeps building; a
 *   newcomer naming it is refused, whatever else its owner names it with). While
 *   nobody has built from it, a service builds from it when a service of the same
 *   owner names it as well (a monorepo several teams build from); once both sides
 *   have, neither builds. A repository in `k2.builds.sharedRepositories` is left out:
 *   every owner naming it builds from it.
 *
 * "Another owner": a service not owned by every owner of the building service. The
 * services are those of the plugin's service index, not the catalog per request; the
 * history is the store's succeeded builds (the image each pushed, the repository each
 * cloned; builds from before the repository was recorded count for none).
 */
export class RepositoryOwnership {
  readonly #services: ServiceDirectory;
  readonly #store: Pick<
    BuildStore,
    'servicesWithImagesIn' | 'servicesWithBuildsFrom'
  >;
  readonly #sharedRepositories: ReadonlySet<string>;
  #firstRefresh?: Promise<void>;

  constructor(options: {
    services: ServiceDirectory;
    store: Pick<BuildStore, 'servicesWithImagesIn' | 'servicesWithBuildsFrom'>;
    /** Normalised repositories several owners build from (`k2.builds.sharedRepositories`). */
    sharedRepositories?: string[];
  }) {
    this.#services = options.services;
    this.#store = options.store;
    this.#sharedRepositories = new Set(options.sharedRepositories ?? []);
  }

  /** Why `service` may not build into `plan.image` or from `plan.source`; empty when it may. */
  async problems(
    service: K2ResolvedService,
    plan: Pick<BuildPlan, 'image' | 'source'>,
  ): Promise<string[]> {
    const image = plan.image
      ? imageRepositoryKey(plan.image.repository)
      : undefined;
    // A repository the platform lists as shared is built from by every owner naming it.
    const source =
      plan.source && !this.#sharedRepositories.has(plan.source.key)
        ? plan.source.key
        : undefined;
    if (!image && !source) return [];
    const self = lower(stringifyEntityRef(service.entity));
    const owners = ownersOf(service.entity);
    const imageOthers: Entity[] = [];
    // This service's owner's other services naming the image repository.
    const imageOwn: Entity[] = [];
    // This service's owner's other services naming the source repository.
    const sourceOwn: Entity[] = [];
    const sourceOthers: Entity[] = [];
    for (const entity of await this.#entities()) {
      if (lower(stringifyEntityRef(entity)) === self) continue;
      const same = ownedByOwnersOf(owners, entity);
      if (
        image &&
        imageRepositoryKey(entity.metadata.annotations?.[ANNOTATION_IMAGE]) ===
          image
      ) {
        (same ? imageOwn : imageOthers).push(entity);
      }
      if (source && sourceKeyOf(entity) === source) {
        (same ? sourceOwn : sourceOthers).push(entity);
      }
    }
    const problems: string[] = [];
    if (imageOthers.length > 0) {
      const problem = await this.#imageProblem(
        self,
        image!,
        plan.image!.repository,
        imageOwn,
        imageOthers,
      );
      if (problem) problems.push(problem);
    }
    if (sourceOthers.length > 0) {
      const problem = await this.#sourceProblem(
        self,
        source!,
        plan.source!.url,
        sourceOwn,
        sourceOthers,
      );
      if (problem) problems.push(problem);
    }
    return problems;
  }

  /**
   * Which side of a repository named by services of two owners has built there: this
   * service `self` or `own` of its owner, and which of `others`, by `built` (the
   * services among them with succeeded builds there).
   */
  async #history(
    built: (services: string[]) => Promise<Set<string>>,
    self: string,
    own: Entity[],
    others: Entity[],
  ): Promise<{ ownBuilt: boolean; othersBuilt: Entity[] }> {
    const key = (e: Entity) => lower(stringifyEntityRef(e));
    const services = await built([self, ...own.map(key), ...others.map(key)]);
    return {
      ownBuilt: services.has(self) || own.some(e => services.has(key(e))),
      othersBuilt: others.filter(e => services.has(key(e))),
    };
  }

  /**
   * Why the service `self` may not clone `url` (its key `source`), which `others` of
   * other owners name too, and `own` of its owner: undefined when its side alone has
   * built from it (the incumbent), or while nobody has and `own` is not empty (a
   * monorepo).
   */
  async #sourceProblem(
    self: string,
    source: string,
    url: string,
    own: Entity[],
    others: Entity[],
  ): Promise<string | undefined> {
    const { ownBuilt, othersBuilt } = await this.#history(
      services => this.#store.servicesWithBuildsFrom(source, services),
      self,
      own,
      others,
    );
    if (ownBuilt && othersBuilt.length === 0) return undefined;
    if (othersBuilt.length > 0 && !ownBuilt) {
      return `${ANNOTATION_SOURCE_LOCATION} ${url} is already built from by ${describeBuilders(
        othersBuilt,
      )}: a build clones only a repository no service of another owner has built from`;
    }
    if (ownBuilt) {
      return `${ANNOTATION_SOURCE_LOCATION} ${url} is the repository of ${describe(
        others,
      )}, and builds of both owners have cloned it: neither builds from it until the owners settle in the catalog whose repository it is`;
    }
    if (own.length > 0) return undefined;
    return `${ANNOTATION_SOURCE_LOCATION} ${url} is the repository of ${describe(
      others,
    )} and of no other service of this service’s owner, and no build has cloned it yet: a build clones only a repository no service of another owner names or has built from, or, while no build has cloned it, one its owner builds another service from too`;
  }

  /**
   * Why the service `self` may not push to `repository` (its key `image`), which
   * `others` of other owners name too, and `own` of its owner: undefined when its side
   * alone has pushed there (the incumbent).
   */
  async #imageProblem(
    self: string,
    image: string,
    repository: string,
    own: Entity[],
    others: Entity[],
  ): Promise<string | undefined> {
    const { ownBuilt, othersBuilt } = await this.#history(
      services => this.#store.servicesWithImagesIn(image, services),
      self,
      own,
      others,
    );
    if (ownBuilt && othersBuilt.length === 0) return undefined;
    if (othersBuilt.length > 0 && !ownBuilt) {
      return `${ANNOTATION_IMAGE} ${repository} already holds images built by ${describeBuilders(
        othersBuilt,
      )}: a build pushes only to an image repository no service of another owner has built into`;
    }
    const named = `${ANNOTATION_IMAGE} ${repository} is the image repository of ${describe(
      others,
    )}`;
    if (ownBuilt) {
      return `${named}, and builds of both owners have pushed images there: neither builds into it until the owners settle in the catalog whose image repository it is`;
    }
    return `${named}, and no build has pushed an image there yet: neither builds into it until the owners settle in the catalog whose image repository it is`;
  }

  /** The index's services; refreshed first when it has never been (a backend just started). */
  async #entities(): Promise<Entity[]> {
    if (!this.#services.status.refreshedAt) {
      this.#firstRefresh ??= this.#services
        .refresh()
        .catch(error => {
          throw new ServiceUnavailableError(
            `The catalog's K2 services could not be read to check who else builds into this image repository or from this repository: ${error}`,
          );
        })
        .finally(() => {
          this.#firstRefresh = undefined;
        });
      await this.#firstRefresh;
    }
    return this.#services.entities();
  }
}
