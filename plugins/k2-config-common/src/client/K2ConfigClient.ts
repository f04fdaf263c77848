import {
  createK2ApiClient,
  K2ApiClientOptions,
  K2ApiError,
} from '@internal/plugin-k2-common';
import type { K2ConfigFormatError } from '../formats';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Config API, from its OpenAPI document. */
export type K2ConfigFile = Schemas['ConfigFile'];
export type K2ConfigFileList = Schemas['ConfigFileList'];
export type K2ConfigVersion = Schemas['ConfigVersion'];
export type K2ConfigVersionList = Schemas['ConfigVersionList'];
export type K2ConfigVersionContent = Schemas['ConfigVersionContent'];
export type K2ConfigVersionPair = Schemas['ConfigVersionPair'];
export type K2ConfigReleaseRef = Schemas['ReleaseRef'];
export type K2CreateConfigFileInput = Schemas['CreateConfigFileInput'];
export type K2SaveConfigVersionInput = Schemas['SaveConfigVersionInput'];

/** A service as the Config API names it: its catalog namespace and name. */
export interface K2ConfigService {
  namespace: string;
  name: string;
}

/** How the Config client reaches its backend. */
export type K2ConfigClientOptions = K2ApiClientOptions;

/**
 * The format error of a save or create the backend refused (400 with `line` and, when
 * known, `column`), or undefined for any other error.
 */
export function configFormatErrorOf(
  error: unknown,
): K2ConfigFormatError | undefined {
  if (!(error instanceof K2ApiError) || error.statusCode !== 400) {
    return undefined;
  }
  const body = error.body?.error as
    | { message?: string; line?: unknown; column?: unknown }
    | undefined;
  if (typeof body?.line !== 'number') return undefined;
  return {
    line: body.line,
    column: typeof body.column === 'number' ? body.column : undefined,
    message: body.message ?? error.message,
  };
}

/**
 * The Config API over HTTP for Backstage users (the Config tab) and other plugins
 * (the Deploy backend resolving a release's config file mounts), typed by its OpenAPI
 * document. Every method resolves to the response body or throws the backend's error
 * (a K2ApiError; {@link configFormatErrorOf} reads a format error's line from it).
 */
export class K2ConfigClient {
  readonly #options: K2ConfigClientOptions;

  constructor(options: K2ConfigClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-config', this.#options);
  }

  async getFiles(service: K2ConfigService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/files', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  async createFile(
    service: K2ConfigService,
    environment: string,
    input: K2CreateConfigFileInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/files', {
      params: { path: { ...service, environment } },
      body: input,
    });
    return data!;
  }

  async getFile(service: K2ConfigService, environment: string, file: string) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}',
      { params: { path: { ...service, environment, file } } },
    );
    return data!;
  }

  /** Deletes a file no release references (409 naming the release otherwise). */
  async deleteFile(
    service: K2ConfigService,
    environment: string,
    file: string,
  ): Promise<void> {
    await (
      await this.#client()
    ).DELETE(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}',
      { params: { path: { ...service, environment, file } } },
    );
  }

  async getVersions(
    service: K2ConfigService,
    environment: string,
    file: string,
    query: { limit?: number; before?: number } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/versions',
      { params: { path: { ...service, environment, file }, query } },
    );
    return data!;
  }

  /** Saves a new version; 409 when `baseVersion` is no longer the latest. */
  async saveVersion(
    service: K2ConfigService,
    environment: string,
    file: string,
    input: K2SaveConfigVersionInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/versions',
      { params: { path: { ...service, environment, file } }, body: input },
    );
    return data!;
  }

  async getVersion(
    service: K2ConfigService,
    environment: string,
    file: string,
    version: number,
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/versions/{version}',
      { params: { path: { ...service, environment, file, version } } },
    );
    return data!;
  }

  /** A version's content (a sensitive file's only for those who may read it). */
  async getContent(
    service: K2ConfigService,
    environment: string,
    file: string,
    version: number,
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/versions/{version}/content',
      { params: { path: { ...service, environment, file, version } } },
    );
    return data!;
  }

  /** Saves an older version's content again as a new version. */
  async restoreVersion(
    service: K2ConfigService,
    environment: string,
    file: string,
    version: number,
    input: { message?: string } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/versions/{version}/restore',
      {
        params: { path: { ...service, environment, file, version } },
        body: input,
      },
    );
    return data!;
  }

  async compareVersions(
    service: K2ConfigService,
    environment: string,
    file: string,
    from: number,
    to: number,
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/files/{file}/compare',
      {
        params: {
          path: { ...service, environment, file },
          query: { from, to },
        },
      },
    );
    return data!;
  }
}
