import { Config } from '@backstage/config';
import { readRegistries, RegistryClient } from '@internal/plugin-k2-node';
import { ImageRegistries } from './types';

/** {@link ImageRegistries} from `k2.registries`, read with K2's credentials. */
export function registriesFromConfig(config: Config): ImageRegistries {
  const registries = readRegistries(config);
  const clients = new Map(
    [...registries].map(([host, registry]) => [
      host,
      new RegistryClient(registry),
    ]),
  );
  return {
    hosts: new Set(registries.keys()),
    async manifest(registryHost, path, tag) {
      const client = clients.get(registryHost);
      if (!client) return undefined;
      return client.manifest(path, tag);
    },
  };
}
