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
