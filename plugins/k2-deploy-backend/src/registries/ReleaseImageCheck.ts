import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  K2ConfigError,
  K2ReleaseImageCheck,
  tryParseImageReference,
} from '@internal/plugin-k2-common';
import {
  RegistryClient,
  RegistryConfig,
  registryLocationOf,
} from '@internal/plugin-k2-node';

/** What a release of an image in a registry not in `k2.registries` does. */
export type UnlistedRegistries = 'allow' | 'refuse';

const UNLISTED_KEY = 'k2.releases.imageCheck.unlistedRegistries';

/**
 * Whether a release's image is in its registry, asked before any release is made (a
 * release, its preview, a rollback, a canary) and again when an approval lets a
 * waiting release go. Callers ask after the permission decision, so a refused user
 * learns nothing of the registry.
 *
 * Invariants: only registries in `k2.registries` are asked (with K2's credentials for
 * them, which never reach an error message); one in none is `not-checked`, or refused
 * when `k2.releases.imageCheck.unlistedRegistries` is `refuse`. A pinned digest is
 * looked up as the digest, else the tag (`latest` when none is written).
 */
export class ReleaseImageCheck {
  readonly #clients = new Map<string, RegistryClient>();
  readonly #unlisted: UnlistedRegistries;

  /** @throws K2ConfigError when `k2.releases.imageCheck.unlistedRegistries` is neither allow nor refuse */
  static fromConfig(
    config: Config,
    registries: Map<string, RegistryConfig>,
  ): ReleaseImageCheck {
    const unlisted = config.getOptionalString(UNLISTED_KEY) ?? 'allow';
    if (unlisted !== 'allow' && unlisted !== 'refuse') {
      throw new K2ConfigError(
        UNLISTED_KEY,
        `'${unlisted}' is neither 'allow' nor 'refuse'`,
      );
    }
    return new ReleaseImageCheck({ registries, unlistedRegistries: unlisted });
  }

  constructor(options: {
    registries: Map<string, RegistryConfig>;
    unlistedRegistries?: UnlistedRegistries;
  }) {
    for (const [host, registry] of options.registries) {
      this.#clients.set(host, new RegistryClient(registry));
    }
    this.#unlisted = options.unlistedRegistries ?? 'allow';
  }

  /**
   * @throws InputError when the image is not in its registry, or its registry is not
   *   checked and releases of such images are refused
   * @throws ServiceUnavailableError naming the registry when it cannot be asked
   */
  async check(image: string): Promise<K2ReleaseImageCheck> {
    const parsed = tryParseImageReference(image);
    if (!parsed) {
      throw new InputError(`'${image}' is not an image reference`);
    }
    const { registry, path } = registryLocationOf(parsed);
    const client = this.#clients.get(registry);
    if (!client) {
      if (this.#unlisted === 'refuse') {
        throw new InputError(
          `The image ${image} is in the registry ${registry}, which K2 does not check: releases here take only images of the registries in k2.registries`,
        );
      }
      return { status: 'not-checked', registry };
    }
    const found = await client.manifest(
      path,
      parsed.digest ?? parsed.tag ?? 'latest',
    );
    if (!found) {
      throw new InputError(
        `The image ${image} is not in the registry ${registry}: build it or push it first`,
      );
    }
    return { status: 'found', registry, digest: found.digest };
  }
}
