import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Builds API, from its OpenAPI document. */
export type K2Build = Schemas['Build'];
export type K2BuildDockerfile = Schemas['BuildDockerfile'];
export type K2BuildInput = Schemas['BuildInput'];
export type K2BuildList = Schemas['BuildList'];
export type K2BuildSettings = Schemas['BuildSettings'];
export type K2BuildStatus = Schemas['BuildStatus'];
export type K2BuildLintProblem = Schemas['LintProblem'];
export type K2BuildWebhookResult = Schemas['WebhookResult'];

/** A service as the Builds API names it: its catalog namespace and name. */
export interface K2BuildsService {
  namespace: string;
  name: string;
}

/** How the Builds client reaches its backend. */
export type K2BuildsClientOptions = K2ApiClientOptions;

/** Whether a build has ended (it will not change any more). */
export function isBuildFinished(status: K2BuildStatus): boolean {
  return status !== 'queued' && status !== 'running';
}

/**
 * The Builds API over HTTP, typed by its OpenAPI document. Every method resolves to
 * the response body or throws the backend's error. The log, a text stream, is read
 * with the options' `fetchApi` at `GET …/builds/{number}/logs`.
 */
export class K2BuildsClient {
  readonly #options: K2BuildsClientOptions;

  constructor(options: K2BuildsClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-builds', this.#options);
  }

  async getBuildSettings(service: K2BuildsService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/build-settings', {
      params: { path: service },
    });
    return data!;
  }

  async getBuilds(
    service: K2BuildsService,
    page: { limit?: number; before?: number } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/builds', {
      params: { path: service, query: page },
    });
    return data!;
  }

  async getBuild(service: K2BuildsService, number: number) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/builds/{number}', {
      params: { path: { ...service, number } },
    });
    return data!;
  }

  async startBuild(service: K2BuildsService, input: K2BuildInput = {}) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/builds', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  async cancelBuild(service: K2BuildsService, number: number) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/builds/{number}/cancel', {
      params: { path: { ...service, number } },
    });
    return data!;
  }

  async getBuildDockerfile(service: K2BuildsService, number: number) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/builds/{number}/dockerfile', {
      params: { path: { ...service, number } },
    });
    return data!;
  }
}
