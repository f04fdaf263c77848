import createClient from 'openapi-fetch';
import type { paths } from '../generated/openapi';
import { K2ApiClientOptions, K2ApiError, requestFetch } from './K2ApiError';

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

  async #client() {
    const { discoveryApi, fetchApi, errorFromResponse } = this.#options;
    const client = createClient<paths>({
      baseUrl: await discoveryApi.getBaseUrl('k2'),
      fetch: requestFetch(fetchApi),
    });
    const toError = errorFromResponse ?? K2ApiError.fromResponse;
    client.use({
      async onResponse({ response }) {
        if (!response.ok) throw await toError(response);
        return undefined;
      },
    });
    return client;
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
