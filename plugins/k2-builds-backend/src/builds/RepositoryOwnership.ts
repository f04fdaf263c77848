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

function describe(entities: Entity[]): string {
  const named = entities
    .slice(0, NAMED)
    .map(
      e => `${stringifyEntityRef(e)} (owned by ${[...ownersOf(e)].join(', ')})`,
    );
  const more = entities.length - named.length;
  return `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * Keeps a service's owners, who write its annotations, from building into or out of
 * another team's repositories with the platform's credentials:
 *
 * - image: a build pushes to the service's image repository only when no K2 service of
 *   another owner names the same repository (a team's services may share one);
 * - source: a build clones the service's repository only when no K2 service of
 *   another owner names it, or when a service of the same owner names it as well (a
 *   monorepo several teams build from). A repository no other service names is
 *   allowed.
 *
 * "Another owner": a service not owned by every owner of the building service. The
 * services are those of the plugin's service index, not the catalog per request.
 */
export class RepositoryOwnership {
  readonly #services: ServiceDirectory;
  #firstRefresh?: Promise<void>;

  constructor(options: { services: ServiceDirectory }) {
    this.#services = options.services;
  }

  /** Why `service` may not build into `plan.image` or from `plan.source`; empty when it may. */
  async problems(
    service: K2ResolvedService,
    plan: Pick<BuildPlan, 'image' | 'source'>,
  ): Promise<string[]> {
    const image = plan.image
      ? imageRepositoryKey(plan.image.repository)
      : undefined;
    const source = plan.source?.key;
    if (!image && !source) return [];
    const self = lower(stringifyEntityRef(service.entity));
    const owners = ownersOf(service.entity);
    const imageOthers: Entity[] = [];
    const sourceOthers: Entity[] = [];
    let sourceShared = false;
    for (const entity of await this.#entities()) {
      if (lower(stringifyEntityRef(entity)) === self) continue;
      const same = ownedByOwnersOf(owners, entity);
      if (
        image &&
        !same &&
        imageRepositoryKey(entity.metadata.annotations?.[ANNOTATION_IMAGE]) ===
          image
      ) {
        imageOthers.push(entity);
      }
      if (source && sourceKeyOf(entity) === source) {
        if (same) sourceShared = true;
        else sourceOthers.push(entity);
      }
    }
    const problems: string[] = [];
    if (imageOthers.length > 0) {
      problems.push(
        `${ANNOTATION_IMAGE} ${
          plan.image!.repository
        } is the image repository of ${describe(
          imageOthers,
        )}: a build pushes only to an image repository no service of another owner names`,
      );
    }
    if (sourceOthers.length > 0 && !sourceShared) {
      problems.push(
        `${ANNOTATION_SOURCE_LOCATION} ${
          plan.source!.url
        } is the repository of ${describe(
          sourceOthers,
        )} and of no other service of this service’s owner: a build clones only a repository no service of another owner names, or one its owner builds another service from too`,
      );
    }
    return problems;
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
