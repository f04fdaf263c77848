import createClient, { Client } from 'openapi-fetch';
import { K2ApiError } from './K2ApiError';

/** How a K2 API client reaches its backend (the app's APIs, or a backend's own). */
export interface K2ApiClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  /** The fetch to call with (the app's fetchApi, or one that adds a token). */
  fetchApi?: { fetch: typeof fetch };
  /** Turns an unsuccessful response into the error to throw; K2ApiError by default. */
  errorFromResponse?: (response: Response) => Promise<Error>;
}

/**
 * The fetch an openapi-fetch client calls: it hands over a `Request`, which is passed
 * on as URL and options. Backstage's app fetch (its middlewares add the user's token)
 * builds a new `Request` from what it is given; given a `Request` with a body, a
 * second middleware would find that body already used.
 */
function requestFetch(
  fetchApi?: K2ApiClientOptions['fetchApi'],
): (request: Request) => Promise<Response> {
  const call = fetchApi?.fetch ?? fetch;
  return async request =>
    call(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body ? await request.text() : undefined,
      signal: request.signal,
    });
}

/**
 * An openapi-fetch client for one K2 backend plugin, typed by that plugin's OpenAPI
 * `paths`: the one request path of every K2 client (the app's and the scaffolder's).
 * Its base URL is resolved through discovery on each call, so build one per request;
 * it sends through `fetchApi` (or global fetch) and throws `errorFromResponse`
 * (K2ApiError by default) for every response other than 2xx, so a call that returns
 * has a success response and its `data` is that response's body.
 */
export async function createK2ApiClient<Paths extends {}>(
  pluginId: string,
  options: K2ApiClientOptions,
): Promise<Client<Paths>> {
  const { discoveryApi, fetchApi, errorFromResponse } = options;
  const client = createClient<Paths>({
    baseUrl: await discoveryApi.getBaseUrl(pluginId),
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
