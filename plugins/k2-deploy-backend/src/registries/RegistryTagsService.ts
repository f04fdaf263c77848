import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  k2ReleaseReadPermission,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import { K2DeployImageTags } from '@internal/plugin-k2-deploy-common';
import {
  Caller,
  K2ActionGate,
  K2ServiceResolver,
  RegistryClient,
  RegistryConfig,
  registryLocationOf,
  TagListing,
} from '@internal/plugin-k2-node';
import { sortTagsNewestFirst } from './tagOrder';

/** Tags returned per repository, newest first. */
export const MAX_TAGS = 100;
/** How long a repository's listing is reused before the registry is asked again. */
export const TAGS_CACHE_MS = 30_000;

/**
 * The tags a service's release may pick from: those of the repository its `k2.io/image`
 * names, listed from the registry (see {@link RegistryClient}).
 *
 * Invariants: a listing is reused for {@link TAGS_CACHE_MS} per repository, and
 * concurrent requests for one repository share one listing; a failed listing is not
 * kept, so the next request asks again. Only the service's own repository is ever
 * listed, so K2's registry credentials reveal nothing a caller could not release.
 */
export class RegistryTagsService {
  readonly #gate: K2ActionGate;
  readonly #resolver: K2ServiceResolver;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #cache = new Map<
    string,
    { until: number; listing: Promise<{ at: Date; listing: TagListing }> }
  >();
  readonly #now: () => number;

  constructor(options: {
    gate: K2ActionGate;
    resolver: K2ServiceResolver;
    registries: Map<string, RegistryConfig>;
    now?: () => number;
  }) {
    this.#gate = options.gate;
    this.#resolver = options.resolver;
    this.#now = options.now ?? Date.now;
    for (const [host, registry] of options.registries) {
      this.#clients.set(host, new RegistryClient(registry));
    }
  }

  /**
   * @throws NotAllowedError when a policy denies reading this service's releases
   * @throws NotFoundError when the catalog has no such service
   * @throws ServiceUnavailableError when the service's registry cannot be listed
   */
  async getImageTags(
    ref: CompoundEntityRef,
    caller: Caller,
  ): Promise<K2DeployImageTags> {
    const entityRef = stringifyEntityRef(ref);
    const [, service] = await Promise.all([
      this.#gate.authorize(entityRef, caller, {
        permission: k2ReleaseReadPermission,
        verb: 'read the image tags of',
      }),
      this.#resolver.service(ref),
    ]);
    const repository = service.spec.image;
    const image = repository ? tryParseImageReference(repository) : undefined;
    if (!repository || !image?.implicitTag) {
      return {
        tags: [],
        source: 'none',
        reason: 'no-repository',
        truncated: false,
      };
    }
    const { registry, path } = registryLocationOf(image);
    const client = this.#clients.get(registry);
    if (!client) {
      return {
        repository,
        registry,
        tags: [],
        source: 'none',
        reason: 'registry-not-configured',
        truncated: false,
      };
    }
    const { at, listing } = await this.#listing(client, registry, path);
    const common = {
      repository,
      registry,
      source: 'registry' as const,
      listedAt: at.toISOString(),
    };
    if (!listing.found) {
      return {
        ...common,
        tags: [],
        reason: 'repository-not-found',
        truncated: false,
      };
    }
    const sorted = sortTagsNewestFirst(new Set(listing.tags));
    return {
      ...common,
      tags: sorted.slice(0, MAX_TAGS),
      truncated: sorted.length > MAX_TAGS || !listing.complete,
    };
  }

  #listing(client: RegistryClient, registry: string, path: string) {
    const key = `${registry}/${path}`;
    const now = this.#now();
    for (const [cached, entry] of this.#cache) {
      if (entry.until <= now) this.#cache.delete(cached);
    }
    const cached = this.#cache.get(key);
    if (cached) return cached.listing;
    const listing = client
      .listTags(path)
      .then(result => ({ at: new Date(now), listing: result }));
    const entry = { until: now + TAGS_CACHE_MS, listing };
    this.#cache.set(key, entry);
    listing.catch(() => {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
    });
    return listing;
  }
}
