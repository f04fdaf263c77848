import { k2PluginFetch } from '@internal/plugin-k2-node';
import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { isError, ServiceUnavailableError } from '@backstage/errors';
import { K2DeployClient } from '@internal/plugin-k2-deploy-common';

/** One volume or config file version the Deploy backend lists as mounted. */
type K2DeployMountUse = Awaited<
  ReturnType<K2DeployClient['getMounts']>
>['items'][number];

/** A release that mounts a config file version. */
export type MountingRelease = {
  id: string;
  number: number;
  current: boolean;
};

/**
 * The config file versions the releases of one service and environment mount, by
 * object name (versions with the same content share their object).
 */
export class ConfigMountIndex {
  readonly #byObject = new Map<string, MountingRelease[]>();
  readonly #byFile = new Map<string, MountingRelease[]>();

  constructor(uses: K2DeployMountUse[], environment: string) {
    for (const use of uses) {
      if (use.kind !== 'config' || use.environment !== environment) continue;
      if (use.object) {
        this.#byObject.set(use.object, [
          ...(this.#byObject.get(use.object) ?? []),
          ...use.releases,
        ]);
      }
      this.#byFile.set(use.name, [
        ...(this.#byFile.get(use.name) ?? []),
        ...use.releases,
      ]);
    }
  }

  /** Releases mounting the object, newest first, each once. */
  byObject(object: string): MountingRelease[] {
    return distinct(this.#byObject.get(object) ?? []);
  }

  /** Releases mounting any version of the file, newest first, each once. */
  byFile(file: string): MountingRelease[] {
    return distinct(this.#byFile.get(file) ?? []);
  }
}

function distinct(releases: MountingRelease[]): MountingRelease[] {
  const seen = new Map(releases.map(r => [r.id, r]));
  return [...seen.values()].sort((a, b) => b.number - a.number);
}

/**
 * What the Deploy backend says the releases mount: the current release of each
 * environment and the retained ones (kept for rollback, waiting for approval or in
 * flight). Asked as K2's own service, so the answer does not depend on who is asking.
 */
export class ReleaseMounts {
  readonly #client: K2DeployClient;

  constructor(options: { auth: AuthService; discovery: DiscoveryService }) {
    this.#client = new K2DeployClient({
      discoveryApi: options.discovery,
      fetchApi: k2PluginFetch(options.auth, 'k2-deploy'),
    });
  }

  /**
   * The mounts of the service's releases in `environment`.
   *
   * @throws ServiceUnavailableError when the Deploy backend cannot say
   */
  async forService(
    serviceRef: string,
    environment: string,
  ): Promise<ConfigMountIndex> {
    const { namespace, name } = parseEntityRef(serviceRef);
    try {
      const { items } = await this.#client.getMounts({ namespace, name });
      return new ConfigMountIndex(items, environment);
    } catch (error) {
      throw new ServiceUnavailableError(
        `Could not ask the Deploy backend which releases mount the config files of ${serviceRef}: ${
          isError(error) ? error.message : String(error)
        }`,
      );
    }
  }
}
