import { Config } from '@backstage/config';
import {
  K2Environment,
  K2EnvironmentModel,
  checkClusterReferences,
  readEnvironmentModel,
} from '@internal/plugin-k2-common';

/**
 * The K2 environment model, validated against the clusters the Kubernetes plugin
 * declares. One instance per backend; read once at start-up.
 */
export class K2EnvironmentRegistry {
  readonly #model: K2EnvironmentModel;

  /**
   * Reads `k2.*` and checks every cluster reference against
   * `kubernetes.clusterLocatorMethods[type=config].clusters`.
   *
   * @throws K2ConfigError naming the offending key
   */
  static fromConfig(config: Config): K2EnvironmentRegistry {
    const model = readEnvironmentModel(config);
    checkClusterReferences(model, declaredClusterNames(config));
    return new K2EnvironmentRegistry(model);
  }

  private constructor(model: K2EnvironmentModel) {
    this.#model = model;
  }

  get model(): K2EnvironmentModel {
    return this.#model;
  }

  listEnvironments(): K2Environment[] {
    return this.#model.environments;
  }

  getEnvironment(name: string): K2Environment | undefined {
    return this.#model.environments.find(e => e.name === name);
  }
}

/** Names of the clusters declared in the Kubernetes plugin's `config` locator. */
export function declaredClusterNames(config: Config): string[] {
  return (
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? []
  )
    .filter(method => method.getString('type') === 'config')
    .flatMap(method => method.getOptionalConfigArray('clusters') ?? [])
    .map(cluster => cluster.getString('name'));
}
