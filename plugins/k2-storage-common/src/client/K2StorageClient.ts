import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Storage API, from its OpenAPI document. */
export type K2StorageAccessMode = Schemas['AccessMode'];
export type K2StorageClass = Schemas['StorageClass'];
export type K2StorageClassList = Schemas['StorageClassList'];
export type K2StorageVolume = Schemas['Volume'];
export type K2StorageVolumeCluster = Schemas['VolumeCluster'];
export type K2StorageVolumeInput = Schemas['VolumeInput'];
export type K2StorageVolumeList = Schemas['VolumeList'];
export type K2StorageVolumeResourceList = Schemas['VolumeResourceList'];

/** A service as the Storage API names it: its catalog namespace and name. */
export interface K2StorageService {
  namespace: string;
  name: string;
}

/** How the Storage client reaches its backend. */
export type K2StorageClientOptions = K2ApiClientOptions;

/**
 * The Storage API over HTTP, typed by its OpenAPI document. Every method resolves to
 * the response body or throws the backend's error.
 */
export class K2StorageClient {
  readonly #options: K2StorageClientOptions;

  constructor(options: K2StorageClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-storage', this.#options);
  }

  /** Every volume K2 made, for the catalog's volume resources. */
  async getAllVolumes() {
    const { data } = await (await this.#client()).GET('/volumes');
    return data!;
  }

  async getStorageClasses(service: K2StorageService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/storage-classes',
      { params: { path: { ...service, environment } } },
    );
    return data!;
  }

  async getVolumes(service: K2StorageService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/volumes', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  async createVolume(
    service: K2StorageService,
    environment: string,
    volume: K2StorageVolumeInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/volumes', {
      params: { path: { ...service, environment } },
      body: volume,
    });
    return data!;
  }

  async expandVolume(
    service: K2StorageService,
    environment: string,
    volume: string,
    size: string,
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/volumes/{volume}/expand',
      {
        params: { path: { ...service, environment, volume } },
        body: { size },
      },
    );
    return data!;
  }

  async deleteVolume(
    service: K2StorageService,
    environment: string,
    volume: string,
  ) {
    await (
      await this.#client()
    ).DELETE(
      '/services/{namespace}/{name}/environments/{environment}/volumes/{volume}',
      { params: { path: { ...service, environment, volume } } },
    );
  }
}
