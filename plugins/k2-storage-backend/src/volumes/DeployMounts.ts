import { k2PluginFetch } from '@internal/plugin-k2-node';
import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { K2DeployClient, components } from '@internal/plugin-k2-deploy-common';

/** A volume or config file version, and the releases that mount it (Deploy's answer). */
export type K2DeployMountUse = components['schemas']['MountUse'];

/** Which releases mount a service's volumes and config files. */
export interface MountSource {
  /** Deploy's answer, or undefined when it could not be asked. */
  mounts(service: CompoundEntityRef): Promise<K2DeployMountUse[] | undefined>;
}

/**
 * Deploy's mounts endpoint, asked as this plugin (a service-to-service call): what the
 * current release of each environment, and the releases kept for rollback or waiting,
 * mount.
 */
export class DeployMounts implements MountSource {
  readonly #client: K2DeployClient;

  constructor(options: { auth: AuthService; discovery: DiscoveryService }) {
    this.#client = new K2DeployClient({
      discoveryApi: options.discovery,
      fetchApi: k2PluginFetch(options.auth, 'k2-deploy'),
    });
  }

  async mounts(
    service: CompoundEntityRef,
  ): Promise<K2DeployMountUse[] | undefined> {
    try {
      const { items } = await this.#client.getMounts({
        namespace: service.namespace,
        name: service.name,
      });
      return items;
    } catch {
      return undefined;
    }
  }
}
