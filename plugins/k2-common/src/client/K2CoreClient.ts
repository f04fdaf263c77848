import type { paths } from '../generated/openapi';
import { createK2ApiClient, K2ApiClientOptions } from './createK2ApiClient';

/**
 * K2's core API (`/api/k2`, plugins/k2-backend) over HTTP, typed by its OpenAPI
 * document: a service's activity log and the health of cluster connections. Shared by
 * every K2 tab.
 */
export class K2CoreClient {
  readonly #options: K2ApiClientOptions;

  constructor(options: K2ApiClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2', this.#options);
  }

  /** A page of a service's activity log, newest first. */
  async getActivity(
    service: { namespace: string; name: string },
    query: { limit?: number; before?: string } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/activity', {
      params: { path: service, query },
    });
    return data!;
  }

  /** The health of every cluster's watch cache. */
  async getClusters() {
    const { data } = await (await this.#client()).GET('/clusters');
    return data!;
  }
}
