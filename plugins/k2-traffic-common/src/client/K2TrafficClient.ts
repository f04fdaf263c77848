import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Traffic API, from its OpenAPI document. */
export type K2TrafficSite = Schemas['Site'];
export type K2TrafficSiteView = Schemas['SiteView'];
export type K2TrafficSiteVersion = Schemas['SiteVersion'];
export type K2TrafficSiteVersionList = Schemas['SiteVersionList'];
export type K2TrafficSiteVersionPair = Schemas['SiteVersionPair'];
export type K2TrafficSiteChange = Schemas['SiteChange'];
export type K2TrafficTemplateList = Schemas['TemplateList'];
export type K2TrafficClusterList = Schemas['ClusterList'];
export type K2TrafficBundle = Schemas['Bundle'];

/** A service as the Traffic API names it: its catalog namespace and name. */
export interface K2TrafficService {
  namespace: string;
  name: string;
}

/** How the Traffic client reaches its backend. */
export type K2TrafficClientOptions = K2ApiClientOptions;

/**
 * The Traffic API over HTTP for Backstage users (the page and other plugins), typed
 * by its OpenAPI document. Every method resolves to the response body or throws the
 * backend's error. The agent routes are not here: agents authenticate with their
 * cluster's token, not a Backstage identity.
 */
export class K2TrafficClient {
  readonly #options: K2TrafficClientOptions;

  constructor(options: K2TrafficClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-traffic', this.#options);
  }

  async getTemplates() {
    const { data } = await (await this.#client()).GET('/templates');
    return data!;
  }

  async getClusters() {
    const { data } = await (await this.#client()).GET('/clusters');
    return data!;
  }

  async getSite(service: K2TrafficService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/site', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  async getVersions(
    service: K2TrafficService,
    environment: string,
    query: { limit?: number; before?: number } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/site/versions',
      { params: { path: { ...service, environment }, query } },
    );
    return data!;
  }

  async getVersion(
    service: K2TrafficService,
    environment: string,
    number: number,
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/site/versions/{number}',
      { params: { path: { ...service, environment, number } } },
    );
    return data!;
  }

  async compareVersions(
    service: K2TrafficService,
    environment: string,
    from: number,
    to: number,
  ) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/site/compare',
      { params: { path: { ...service, environment }, query: { from, to } } },
    );
    return data!;
  }

  async publish(
    service: K2TrafficService,
    environment: string,
    input: { site: K2TrafficSite; message: string },
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/site/versions',
      { params: { path: { ...service, environment } }, body: input },
    );
    return data!;
  }

  async rollback(
    service: K2TrafficService,
    environment: string,
    number: number,
    input: { message?: string } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/site/versions/{number}/rollback',
      { params: { path: { ...service, environment, number } }, body: input },
    );
    return data!;
  }

  /** Approves a site change waiting for approval: resolves to the version it published. */
  async approve(
    service: K2TrafficService,
    environment: string,
    change: number,
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/site/changes/{change}/approve',
      { params: { path: { ...service, environment, change } } },
    );
    return data!;
  }

  /** Rejects a site change waiting for approval: nothing is published. */
  async reject(
    service: K2TrafficService,
    environment: string,
    change: number,
    input: { reason?: string } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/site/changes/{change}/reject',
      { params: { path: { ...service, environment, change } }, body: input },
    );
    return data!;
  }

  /**
   * Withdraws a site change waiting for approval (its requester, or someone who may
   * both publish the site and decide the change): nothing is published, and the
   * change is kept as withdrawn.
   */
  async withdraw(
    service: K2TrafficService,
    environment: string,
    change: number,
    input: { reason?: string } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/site/changes/{change}/withdraw',
      { params: { path: { ...service, environment, change } }, body: input },
    );
    return data!;
  }
}
