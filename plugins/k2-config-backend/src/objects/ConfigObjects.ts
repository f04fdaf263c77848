import {
  ConflictError,
  isError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  LABEL_CONFIG_FILE,
  LABEL_CONFIG_HASH,
} from '@internal/plugin-k2-common';
import {
  K2ClusterAccess,
  KubeApiError,
  KubeObject,
} from '@internal/plugin-k2-node';
import {
  ConfigObjectSpec,
  objectContent,
  renderConfigObject,
} from './manifests';

/** Where a version's object is: its namespace, kind and name. */
export interface ConfigObjectRef {
  namespace: string;
  sensitive: boolean;
  name: string;
}

const MASK = '••••••';

function path(ref: ConfigObjectRef) {
  return `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/${
    ref.sensitive ? 'secrets' : 'configmaps'
  }/${encodeURIComponent(ref.name)}`;
}

function objectText(ref: ConfigObjectRef, cluster: string) {
  return `${ref.sensitive ? 'Secret' : 'ConfigMap'} ${ref.namespace}/${
    ref.name
  } in cluster '${cluster}'`;
}

/**
 * The objects holding config file versions in the clusters: written (once per
 * content: an object that already holds the same content under K2's labels is left
 * as it is), read back (a sensitive file's content lives only there) and deleted.
 *
 * Invariant: an error never carries the content (nor its base64), so it may be
 * logged and audited for a sensitive file too.
 */
export class ConfigObjects {
  readonly #access: K2ClusterAccess;

  constructor(options: { access: K2ClusterAccess }) {
    this.#access = options.access;
  }

  /**
   * Writes the version's immutable object to each cluster in turn.
   *
   * @throws ConflictError when an object of that name holds something else
   * @throws ServiceUnavailableError naming the first cluster that could not be written
   */
  async write(clusters: string[], spec: ConfigObjectSpec): Promise<void> {
    const object = renderConfigObject(spec);
    const ref = {
      namespace: spec.namespace,
      sensitive: spec.sensitive,
      name: object.metadata.name,
    };
    for (const cluster of clusters) {
      await this.#masked(
        spec.content,
        `write ${objectText(ref, cluster)}`,
        async () => {
          const existing = await this.#read(cluster, ref);
          if (existing) {
            const labels = existing.metadata.labels ?? {};
            if (
              labels[LABEL_CONFIG_FILE] !== spec.file ||
              labels[LABEL_CONFIG_HASH] !== spec.hash ||
              objectContent(existing, spec.file) !== spec.content
            ) {
              throw new ConflictError(
                `${objectText(
                  ref,
                  cluster,
                )} exists and does not hold this version of ${
                  spec.file
                }; K2 does not write over it`,
              );
            }
            return;
          }
          await this.#access.apply(cluster, {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: spec.namespace },
          });
          await this.#access.apply(cluster, object);
        },
      );
    }
  }

  /**
   * The content of `file` in the version's object, from the first of `clusters` that
   * has it; undefined when none has.
   *
   * @throws ServiceUnavailableError when no cluster has it and one could not be read
   */
  async read(
    clusters: string[],
    ref: ConfigObjectRef,
    file: string,
  ): Promise<string | undefined> {
    let failure: string | undefined;
    for (const cluster of clusters) {
      try {
        const object = await this.#read(cluster, ref);
        const content = object && objectContent(object, file);
        if (content !== undefined) return content;
      } catch (error) {
        failure ??= `Could not read ${objectText(ref, cluster)}: ${
          isError(error) ? error.name : 'error'
        }`;
      }
    }
    if (failure) throw new ServiceUnavailableError(failure);
    return undefined;
  }

  /**
   * Deletes the object from every cluster (already gone is fine).
   *
   * @throws ServiceUnavailableError naming the first cluster that could not be reached
   */
  async remove(clusters: string[], ref: ConfigObjectRef): Promise<void> {
    for (const cluster of clusters) {
      await this.#masked(undefined, `delete ${objectText(ref, cluster)}`, () =>
        this.#access.delete(cluster, {
          apiVersion: 'v1',
          kind: ref.sensitive ? 'Secret' : 'ConfigMap',
          metadata: { name: ref.name, namespace: ref.namespace },
        }),
      );
    }
  }

  async #read(
    cluster: string,
    ref: ConfigObjectRef,
  ): Promise<KubeObject | undefined> {
    try {
      return await this.#access.get<KubeObject>(cluster, path(ref));
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Runs a cluster call; its error leaves without the content (plain or base64), as a
   * conflict, a refusal or the cluster being unavailable.
   */
  async #masked(
    content: string | undefined,
    what: string,
    call: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!isError(error)) throw error;
      let message = error.message;
      if (content) {
        for (const form of [content, Buffer.from(content).toString('base64')]) {
          message = message.split(form).join(MASK);
        }
      }
      if (error instanceof ConflictError) throw new ConflictError(message);
      if (error instanceof NotAllowedError) {
        throw new NotAllowedError(message);
      }
      throw new ServiceUnavailableError(`Could not ${what}: ${message}`);
    }
  }
}
