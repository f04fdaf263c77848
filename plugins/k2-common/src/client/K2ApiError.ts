/** The error body Backstage backends send. */
export interface K2ApiErrorBody {
  error?: { name?: string; message?: string };
}

/**
 * A response other than 2xx from a K2 API: its status and the backend's own message
 * (which names the field, the permission or the conflict).
 */
export class K2ApiError extends Error {
  readonly name = 'K2ApiError';

  constructor(
    message: string,
    readonly statusCode: number,
    readonly body?: K2ApiErrorBody,
  ) {
    super(message);
  }

  static async fromResponse(response: Response): Promise<K2ApiError> {
    const text = await response.text();
    let body: K2ApiErrorBody | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return new K2ApiError(
      body?.error?.message ??
        `Request failed with ${response.status} ${response.statusText}`,
      response.status,
      body,
    );
  }
}

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
export function requestFetch(
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
