import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  K2BuildsClient,
  K2BuildsClientOptions,
  K2BuildsService,
} from '@internal/plugin-k2-builds-common';
import { K2ApiError } from '@internal/plugin-k2-common';

/** Where a followed log starts and whether it follows the build until it ends. */
export interface K2BuildLogQuery {
  /** The byte of the log to start at (what was already received). */
  offset?: number;
  follow?: boolean;
}

/**
 * The Builds API as the tab uses it: the shared, OpenAPI-typed `K2BuildsClient`, and
 * the build's log read as the text stream it is (`GET …/builds/{number}/logs`).
 */
export type K2BuildsApi = Pick<
  K2BuildsClient,
  | 'getBuildSettings'
  | 'getBuilds'
  | 'getBuild'
  | 'startBuild'
  | 'cancelBuild'
  | 'getBuildDockerfile'
> & {
  /**
   * Reads a build's log from `offset`, handing each piece of text to `onText` as it
   * arrives; with `follow` the response stays open until the build ends. Resolves when
   * the response ends; rejects with the backend's refusal, or when the connection
   * drops (not when `signal` aborts it).
   */
  readLog(
    service: K2BuildsService,
    number: number,
    query: K2BuildLogQuery,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void>;
};

export const k2BuildsApiRef = createApiRef<K2BuildsApi>({
  id: 'plugin.k2-builds.api',
});

/** `K2BuildsClient` with the log's stream, read through the app's `fetchApi`. */
export class K2BuildsFrontendClient
  extends K2BuildsClient
  implements K2BuildsApi
{
  readonly #options: K2BuildsClientOptions;

  constructor(options: K2BuildsClientOptions) {
    super(options);
    this.#options = options;
  }

  async readLog(
    service: K2BuildsService,
    number: number,
    query: K2BuildLogQuery,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const base = await this.#options.discoveryApi.getBaseUrl('k2-builds');
    const params = new URLSearchParams();
    if (query.follow) params.set('follow', 'true');
    if (query.offset) params.set('offset', String(query.offset));
    const path = `/services/${encodeURIComponent(
      service.namespace,
    )}/${encodeURIComponent(service.name)}/builds/${number}/logs`;
    const call = this.#options.fetchApi?.fetch ?? fetch;
    const response = await call(
      `${base}${path}${params.size ? `?${params}` : ''}`,
      { signal },
    );
    if (!response.ok) throw await K2ApiError.fromResponse(response);
    if (!response.body) {
      onText(await response.text());
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        if (text) onText(text);
      }
      const rest = decoder.decode();
      if (rest) onText(rest);
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }
}
