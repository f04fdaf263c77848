import { k2PluginFetch } from '@internal/plugin-k2-node';
import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { K2ApiError } from '@internal/plugin-k2-common';
import {
  K2ConfigClient,
  K2ConfigVersion,
} from '@internal/plugin-k2-config-common';

/** A service as the Config API names it. */
export interface ConfigService {
  namespace: string;
  name: string;
}

/** Version metadata of a service's config files, as a release mounts them. */
export interface ConfigVersionLookup {
  /**
   * The metadata (never the content) of `version` of `file`, or of its latest
   * version when `version` is undefined.
   *
   * @throws InputError when the file or version does not exist
   * @throws ServiceUnavailableError when the Config backend cannot be asked
   */
  version(
    service: ConfigService,
    environment: string,
    file: string,
    version?: number,
  ): Promise<K2ConfigVersion>;
}

/**
 * {@link ConfigVersionLookup} over the Config backend's API (`k2-config`), called as
 * the Deploy backend itself (a service principal, which the permission policy lets
 * read config file metadata) whoever releases.
 */
export class ConfigBackendVersions implements ConfigVersionLookup {
  readonly #client: K2ConfigClient;

  constructor(options: { auth: AuthService; discovery: DiscoveryService }) {
    const { auth, discovery } = options;
    this.#client = new K2ConfigClient({
      discoveryApi: discovery,
      fetchApi: k2PluginFetch(auth, 'k2-config'),
    });
  }

  async version(
    service: ConfigService,
    environment: string,
    file: string,
    version?: number,
  ): Promise<K2ConfigVersion> {
    const what =
      version === undefined
        ? `config file '${file}'`
        : `version ${version} of config file '${file}'`;
    try {
      if (version === undefined) {
        return (await this.#client.getFile(service, environment, file)).latest;
      }
      return await this.#client.getVersion(service, environment, file, version);
    } catch (error) {
      if (error instanceof K2ApiError) {
        if (error.statusCode === 404 || error.statusCode === 400) {
          throw new InputError(`${what} in ${environment}: ${error.message}`);
        }
        if (error.statusCode === 403) {
          throw new NotAllowedError(
            `The Config backend refused the Deploy backend reading ${what}: ${error.message}`,
          );
        }
      }
      throw new ServiceUnavailableError(
        `Could not read ${what} in ${environment} from the Config backend (k2-config): ${
          (error as Error).message
        }; nothing was released, try again once it answers`,
      );
    }
  }
}
