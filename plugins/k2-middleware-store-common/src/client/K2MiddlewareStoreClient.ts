import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Middleware store API, from its OpenAPI document. */
export type K2MiddlewareTemplateSummary = Schemas['TemplateSummary'];
export type K2MiddlewareTemplate = Schemas['Template'];
export type K2MiddlewareEnvironmentPolicy = Schemas['EnvironmentPolicy'];
export type K2MiddlewareInstance = Schemas['Instance'];
export type K2MiddlewareInstanceState = Schemas['InstanceState'];
export type K2MiddlewareConnection = Schemas['Connection'];
export type K2MiddlewareBindingEnv = Schemas['BindingEnv'];
export type K2CreateMiddlewareInstanceInput = Schemas['CreateInstanceInput'];
export type K2ResizeMiddlewareInstanceInput = Schemas['ResizeInput'];

/** A service as the Middleware store API names it: its catalog namespace and name. */
export interface K2MiddlewareService {
  namespace: string;
  name: string;
}

/** How the Middleware store client reaches its backend. */
export type K2MiddlewareStoreClientOptions = K2ApiClientOptions;

/**
 * The Middleware store API over HTTP for Backstage users (the App Store page and the
 * Middleware tab) and other plugins (the Deploy backend reading a service's bindings,
 * the scaffolder module creating instances), typed by its OpenAPI document. Every
 * method resolves to the response body or throws the backend's error (a K2ApiError).
 */
export class K2MiddlewareStoreClient {
  readonly #options: K2MiddlewareStoreClientOptions;

  constructor(options: K2MiddlewareStoreClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-middleware-store', this.#options);
  }

  async getTemplates() {
    const { data } = await (await this.#client()).GET('/templates');
    return data!;
  }

  async getTemplate(template: string) {
    const { data } = await (
      await this.#client()
    ).GET('/templates/{template}', { params: { path: { template } } });
    return data!;
  }

  async getEnvironments() {
    const { data } = await (await this.#client()).GET('/environments');
    return data!;
  }

  async getInstances(
    query: {
      owner?: string;
      environment?: string;
      state?: K2MiddlewareInstanceState;
    } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/instances', { params: { query } });
    return data!;
  }

  async getServiceInstances(service: K2MiddlewareService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/instances', {
      params: { path: service },
    });
    return data!;
  }

  async createInstance(
    service: K2MiddlewareService,
    input: K2CreateMiddlewareInstanceInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/instances', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  /** The env vars a release of the service receives in the environment. */
  async getBindings(service: K2MiddlewareService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/bindings', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  async getInstance(id: string) {
    const { data } = await (
      await this.#client()
    ).GET('/instances/{id}', { params: { path: { id } } });
    return data!;
  }

  /** Deletes the instance after saving its backup (409 while it is bound). */
  async deleteInstance(id: string) {
    const { data } = await (
      await this.#client()
    ).DELETE('/instances/{id}', { params: { path: { id } } });
    return data!;
  }

  /** Connection info with secret values: owners and platform admins only. */
  async getConnection(id: string) {
    const { data } = await (
      await this.#client()
    ).GET('/instances/{id}/connection', { params: { path: { id } } });
    return data!;
  }

  async approveInstance(id: string, comment?: string) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/approve', {
      params: { path: { id } },
      body: comment ? { comment } : {},
    });
    return data!;
  }

  async rejectInstance(id: string, comment?: string) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/reject', {
      params: { path: { id } },
      body: comment ? { comment } : {},
    });
    return data!;
  }

  async renewInstance(id: string, days: number) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/renew', {
      params: { path: { id } },
      body: { days },
    });
    return data!;
  }

  async resizeInstance(id: string, input: K2ResizeMiddlewareInstanceInput) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/resize', {
      params: { path: { id } },
      body: input,
    });
    return data!;
  }

  async upgradeInstance(id: string, template: string) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/upgrade', {
      params: { path: { id } },
      body: { template },
    });
    return data!;
  }

  async restoreInstance(id: string) {
    const { data } = await (
      await this.#client()
    ).POST('/instances/{id}/restore', { params: { path: { id } } });
    return data!;
  }

  async bindInstance(id: string, service: K2MiddlewareService) {
    const { data } = await (
      await this.#client()
    ).PUT('/instances/{id}/bindings/{namespace}/{name}', {
      params: { path: { id, ...service } },
    });
    return data!;
  }

  async unbindInstance(id: string, service: K2MiddlewareService) {
    const { data } = await (
      await this.#client()
    ).DELETE('/instances/{id}/bindings/{namespace}/{name}', {
      params: { path: { id, ...service } },
    });
    return data!;
  }
}
