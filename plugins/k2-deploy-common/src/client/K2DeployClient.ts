import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Deploy API, from its OpenAPI document. */
export type K2DeployRelease = Schemas['Release'];
export type K2DeployReleaseList = Schemas['ReleaseList'];
export type K2DeployReleaseInput = Schemas['ReleaseInput'];
export type K2DeployAutoscaling = Schemas['Autoscaling'];
export type K2DeployReleasePreview = Schemas['ReleasePreview'];
export type K2DeployReleaseDefaults = Schemas['ReleaseDefaults'];
export type K2DeployImageTags = Schemas['ImageTags'];
export type K2DeployCanary = Schemas['Canary'];
export type K2DeployCanaryState = Schemas['CanaryState'];
export type K2DeployCanaryInput = Schemas['CanaryInput'];
export type K2DeployMountUse = Schemas['MountUse'];
/** What the caller may do with shells and debug containers in one environment. */
export type K2ShellPolicy = Schemas['ShellPolicy'];
/** A shell session waiting for its WebSocket: the single-use ticket and where to use it. */
export type K2ShellTicket = Schemas['ShellTicket'];
/** A recorded shell or debug session. */
export type K2ShellSession = Schemas['ShellSession'];
export type K2ShellSessionList = Schemas['ShellSessionList'];
export type K2ShellEndReason = Schemas['ShellEndReason'];
export type K2DebugImage = Schemas['DebugImage'];

/** A service as the Deploy API names it: its catalog namespace and name. */
export interface K2DeployService {
  namespace: string;
  name: string;
}

/** One instance: the environment and cluster it runs in, and its pod name. */
export interface K2DeployInstance {
  environment: string;
  cluster: string;
  pod: string;
}

/** How the Deploy client reaches its backend. */
export type K2DeployClientOptions = K2ApiClientOptions;

/**
 * The Deploy API over HTTP, typed by its OpenAPI document; shared by the Deploy tab and
 * the scaffolder action. Every method resolves to the response body or throws the
 * backend's error.
 */
export class K2DeployClient {
  readonly #options: K2DeployClientOptions;

  constructor(options: K2DeployClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-deploy', this.#options);
  }

  async getRuntime(service: K2DeployService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/runtime', {
      params: { path: service },
    });
    return data!;
  }

  async getReleases(
    service: K2DeployService,
    query: { environment?: string; before?: string; limit?: number } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/releases', {
      params: { path: service, query },
    });
    return data!;
  }

  /**
   * Every volume and config file version that the service's current release, or a
   * retained one (the last `k2.releases.retainedForRollback` that succeeded per
   * environment, and any waiting for approval or in flight), mounts, each with those
   * releases newest first. What is listed here is in use.
   */
  async getMounts(service: K2DeployService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/mounts', {
      params: { path: { namespace: service.namespace, name: service.name } },
    });
    return data!;
  }

  /** Tags of the service's image repository, newest first, or why there are none. */
  async getImageTags(service: K2DeployService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/image-tags', {
      params: { path: service },
    });
    return data!;
  }

  async getRelease(id: string) {
    const { data } = await (
      await this.#client()
    ).GET('/releases/{id}', { params: { path: { id } } });
    return data!;
  }

  async release(service: K2DeployService, input: K2DeployReleaseInput) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/releases', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  /**
   * What `release` would release with this input, compared with the running release;
   * validated and permitted as `release`, and changing nothing.
   */
  async previewRelease(service: K2DeployService, input: K2DeployReleaseInput) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/releases/preview', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  /** What a release to `environment` gets for each value it leaves out, and from where. */
  async getReleaseDefaults(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/release-defaults',
      { params: { path: { ...service, environment } } },
    );
    return data!;
  }

  /** The environment's running canary, else its newest one, with its live pods. */
  async getCanary(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/canary', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  /** Starts a canary of an image beside the environment's stable release. */
  async startCanary(
    service: K2DeployService,
    environment: string,
    input: K2DeployCanaryInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/canary', {
      params: { path: { ...service, environment } },
      body: input,
    });
    return data!;
  }

  /** Promotes the running canary: a release of its image, gated as any release. */
  async promoteCanary(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/canary/promote',
      { params: { path: { ...service, environment } } },
    );
    return data!;
  }

  /** Aborts the running canary, removing its Deployments. */
  async abortCanary(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/canary/abort',
      { params: { path: { ...service, environment } } },
    );
    return data!;
  }

  async rollback(id: string, input: { message?: string } = {}) {
    const { data } = await (
      await this.#client()
    ).POST('/releases/{id}/rollback', {
      params: { path: { id } },
      body: input,
    });
    return data!;
  }

  async approve(id: string) {
    const { data } = await (
      await this.#client()
    ).POST('/releases/{id}/approve', { params: { path: { id } }, body: {} });
    return data!;
  }

  async reject(id: string, input: { reason?: string } = {}) {
    const { data } = await (
      await this.#client()
    ).POST('/releases/{id}/reject', {
      params: { path: { id } },
      body: input,
    });
    return data!;
  }

  /** Withdraws a release waiting for approval (its requester or the owners). */
  async cancel(id: string, input: { reason?: string } = {}) {
    const { data } = await (
      await this.#client()
    ).POST('/releases/{id}/cancel', {
      params: { path: { id } },
      body: input,
    });
    return data!;
  }

  async scale(
    service: K2DeployService,
    environment: string,
    input: { replicas: number },
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/scale', {
      params: { path: { ...service, environment } },
      body: input,
    });
    return data!;
  }

  async restart(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/restart', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  /** Records the Deployment running in an environment as the service's release #1. */
  async adopt(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/environments/{environment}/adopt', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  /** Turns autoscaling on with these settings, or off with `null`. */
  async setAutoscaling(
    service: K2DeployService,
    environment: string,
    settings: K2DeployAutoscaling | null,
  ) {
    const client = await this.#client();
    const path =
      '/services/{namespace}/{name}/environments/{environment}/autoscaling' as const;
    const params = { path: { ...service, environment } };
    const { data } = settings
      ? await client.PUT(path, { params, body: settings })
      : await client.DELETE(path, { params });
    return data!;
  }

  async getRecommendation(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/recommendation',
      { params: { path: { ...service, environment } } },
    );
    return data!;
  }

  async getInstanceHistory(
    service: K2DeployService,
    query: {
      environment?: string;
      cluster?: string;
      before?: string;
      limit?: number;
    } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/instances/history', {
      params: { path: service, query },
    });
    return data!;
  }

  async getEvents(
    service: K2DeployService,
    query: {
      environment?: string;
      cluster?: string;
      pod?: string;
      warningsOnly?: boolean;
    } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/events', {
      params: { path: service, query },
    });
    return data!;
  }

  async getUsage(service: K2DeployService, instance: K2DeployInstance) {
    const { data } = await (
      await this.#client()
    ).GET(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}/usage',
      { params: { path: { ...service, ...instance } } },
    );
    return data!;
  }

  async setTraffic(
    service: K2DeployService,
    instance: K2DeployInstance,
    inTraffic: boolean,
  ) {
    const { data } = await (
      await this.#client()
    ).PUT(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}/traffic',
      { params: { path: { ...service, ...instance } }, body: { inTraffic } },
    );
    return data!;
  }

  async restartInstance(
    service: K2DeployService,
    instance: K2DeployInstance,
  ): Promise<void> {
    await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}/restart',
      { params: { path: { ...service, ...instance } } },
    );
  }

  async destroyInstance(
    service: K2DeployService,
    instance: K2DeployInstance,
  ): Promise<void> {
    await (
      await this.#client()
    ).DELETE(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}',
      { params: { path: { ...service, ...instance } } },
    );
  }

  /**
   * Whether the caller may open a shell or start a debug container in `environment`
   * (the environment's policy and the caller's `k2.instance.exec`), the approved debug
   * images and the session limits.
   */
  async getShellPolicy(service: K2DeployService, environment: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/environments/{environment}/shell', {
      params: { path: { ...service, environment } },
    });
    return data!;
  }

  /**
   * Opens a shell session in a container of an instance: a single-use ticket, valid 30
   * seconds, for the WebSocket at the ticket's `path` (relative to the plugin's base
   * URL; subprotocols `k2-shell.v1` and `k2-ticket.<ticket>`).
   */
  async openShell(
    service: K2DeployService,
    instance: K2DeployInstance,
    input: { container: string; cols?: number; rows?: number },
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}/shell',
      { params: { path: { ...service, ...instance } }, body: input },
    );
    return data!;
  }

  /**
   * Starts a debug container from an approved image (`image`: its name) sharing the
   * `target` container's processes, once it runs answers a ticket for its terminal as
   * `openShell` does.
   */
  async startDebugContainer(
    service: K2DeployService,
    instance: K2DeployInstance,
    input: { image: string; target: string; cols?: number; rows?: number },
  ) {
    const { data } = await (
      await this.#client()
    ).POST(
      '/services/{namespace}/{name}/environments/{environment}/instances/{cluster}/{pod}/debug',
      { params: { path: { ...service, ...instance } }, body: input },
    );
    return data!;
  }

  /**
   * Recorded shell and debug sessions, newest first (platform admins): `service` and
   * `user` are entity refs; pass a page's `next` as `before` for the next page.
   */
  async listShellSessions(
    query: {
      service?: string;
      user?: string;
      limit?: number;
      before?: string;
    } = {},
  ) {
    const { data } = await (
      await this.#client()
    ).GET('/shell-sessions', { params: { query } });
    return data!;
  }
}
