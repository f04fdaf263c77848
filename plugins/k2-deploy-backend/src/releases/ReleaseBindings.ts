import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  K2ApiError,
  K2BindingEnvVar,
  K2EnvVar,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import { K2MiddlewareStoreClient } from '@internal/plugin-k2-middleware-store-common';
import { K2ClusterAccess, k2PluginFetch } from '@internal/plugin-k2-node';
import { readObjectMetadata } from './ReleaseMountResolver';
import { PLATFORM_ENV_VARS } from './resolveReleaseSpec';

/** A service as the Middleware store API names it. */
export interface BindingService {
  namespace: string;
  name: string;
}

/** The connection variables of the middleware instances bound to a service. */
export interface BindingLookup {
  /**
   * One entry per variable of every instance bound to the service in the environment;
   * none when the Middleware store is not installed.
   *
   * @throws ServiceUnavailableError when the Middleware store cannot be asked
   */
  bindings(
    service: BindingService,
    environment: string,
  ): Promise<K2BindingEnvVar[]>;
}

/**
 * {@link BindingLookup} over the Middleware store's API (`k2-middleware-store`), called
 * as the Deploy backend itself (a service principal) whoever releases. A 404 means the
 * store is not installed (no instance can be bound); any other failure refuses, so no
 * release goes out silently missing its connection settings.
 */
export class MiddlewareStoreBindings implements BindingLookup {
  readonly #client: K2MiddlewareStoreClient;

  constructor(options: { auth: AuthService; discovery: DiscoveryService }) {
    this.#client = new K2MiddlewareStoreClient({
      discoveryApi: options.discovery,
      fetchApi: k2PluginFetch(options.auth, 'k2-middleware-store'),
    });
  }

  async bindings(
    service: BindingService,
    environment: string,
  ): Promise<K2BindingEnvVar[]> {
    try {
      const { items } = await this.#client.getBindings(service, environment);
      return items.flatMap(({ instance, env }) =>
        env.map(e => ({
          name: e.name,
          instance,
          ...(e.secretKeyRef
            ? {
                secretKeyRef: {
                  name: e.secretKeyRef.name,
                  key: e.secretKeyRef.key,
                },
              }
            : { value: e.value ?? '' }),
        })),
      );
    } catch (error) {
      if (error instanceof K2ApiError) {
        if (error.statusCode === 404) return [];
        if (error.statusCode === 403) {
          throw new NotAllowedError(
            `The Middleware store refused the Deploy backend reading the middleware bound to ${service.namespace}/${service.name} in ${environment}: ${error.message}`,
          );
        }
      }
      throw new ServiceUnavailableError(
        `Could not read the middleware bound to ${service.namespace}/${
          service.name
        } in ${environment} from the Middleware store (k2-middleware-store): ${
          (error as Error).message
        }; nothing was released, try again once it answers`,
      );
    }
  }
}

/**
 * Resolves the connection variables a release receives from the middleware bound to
 * its service, and checks that a spec's bindings can run.
 */
export class ReleaseBindingResolver {
  readonly #access: K2ClusterAccess;
  readonly #lookup: BindingLookup;

  constructor(options: { access: K2ClusterAccess; lookup: BindingLookup }) {
    this.#access = options.access;
    this.#lookup = options.lookup;
  }

  /**
   * The bindings of a new release: every variable the Middleware store lists, except
   * one the release's own `env` sets (the user's explicit value wins), checked by
   * {@link ReleaseBindingResolver.check}. Undefined when nothing is bound.
   *
   * @throws ConflictError when two bound instances give the same variable, one names a
   *   variable K2 sets itself, or a Secret it refers to is missing
   * @throws ServiceUnavailableError when the Middleware store cannot be asked
   */
  async resolve(
    service: BindingService,
    target: K2ServiceTarget,
    env: K2EnvVar[],
  ): Promise<K2BindingEnvVar[] | undefined> {
    const environment = target.environment.name;
    const listed = await this.#lookup.bindings(service, environment);
    const given = new Set(env.map(e => e.name));
    const seen = new Map<string, string>();
    for (const b of listed) {
      if (PLATFORM_ENV_VARS.includes(b.name)) {
        throw new ConflictError(
          `Middleware instance ${b.instance} bound to ${service.name} in ${environment} gives ${b.name}, which K2 sets on every container; unbind it`,
        );
      }
      const other = seen.get(b.name);
      if (other !== undefined && !given.has(b.name)) {
        throw new ConflictError(
          `Middleware instances ${other} and ${b.instance} bound to ${service.name} in ${environment} both give ${b.name}; unbind one, or set ${b.name} in the release's variables to choose its value`,
        );
      }
      seen.set(b.name, b.instance);
    }
    const bindings = listed.filter(b => !given.has(b.name));
    if (!bindings.length) return undefined;
    await this.check(bindings, target);
    return bindings;
  }

  /**
   * Checks that every Secret the bindings refer to exists in every cluster of the
   * target (the Middleware store copies it there on bind and deletes it on unbind), so
   * no pod is left unable to start. Reads the watch caches, and a cluster once for a
   * Secret they do not hold yet.
   *
   * @throws ConflictError naming the instance and cluster when one is missing
   */
  async check(
    bindings: K2BindingEnvVar[] | undefined,
    target: K2ServiceTarget,
  ): Promise<void> {
    const secrets = new Map<string, string>();
    for (const b of bindings ?? []) {
      if (b.secretKeyRef) secrets.set(b.secretKeyRef.name, b.instance);
    }
    for (const [secret, instance] of secrets) {
      for (const { name: cluster } of target.clusters) {
        const found = await readObjectMetadata(
          this.#access,
          cluster,
          'secrets',
          target.namespace,
          secret,
        );
        if (!found) {
          throw new ConflictError(
            `The connection settings of middleware instance ${instance} are not in cluster ${cluster} (no Secret ${target.namespace}/${secret}); it is no longer bound to the service in ${target.environment.name}, bind it again on the Middleware tab or release without it`,
          );
        }
      }
    }
  }
}
