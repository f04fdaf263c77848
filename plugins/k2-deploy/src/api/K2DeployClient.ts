import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  K2Activity,
  K2Autoscaling,
  K2CoreClient,
  K2CanaryInput,
  K2LogQuery,
  K2ReleaseInput,
} from '@internal/plugin-k2-common';
import { K2ConfigClient } from '@internal/plugin-k2-config-common';
import { K2DeployClient as K2DeployHttpClient } from '@internal/plugin-k2-deploy-common';
import { K2StorageClient } from '@internal/plugin-k2-storage-common';
import { InstanceName, K2DeployApi, ServiceName } from './K2DeployApi';

function queryOf(options: object) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && value !== false) query.set(key, String(value));
  }
  return query;
}

/**
 * {@link K2DeployApi} over HTTP, through the app's discovery and fetch APIs: the Deploy
 * API through the shared typed client, the activity log from the k2 core plugin, and
 * logs streamed as they arrive.
 */
export class K2DeployClient implements K2DeployApi {
  readonly #http: K2DeployHttpClient;
  readonly #core: K2CoreClient;
  readonly #config: K2ConfigClient;
  readonly #storage: K2StorageClient;

  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {
    const errorFromResponse = (response: Response) =>
      ResponseError.fromResponse(response);
    this.#http = new K2DeployHttpClient({ ...options, errorFromResponse });
    this.#core = new K2CoreClient({ ...options, errorFromResponse });
    this.#config = new K2ConfigClient({ ...options, errorFromResponse });
    this.#storage = new K2StorageClient({ ...options, errorFromResponse });
  }

  async #fetch(
    pluginId: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const base = await this.options.discoveryApi.getBaseUrl(pluginId);
    const response = await this.options.fetchApi.fetch(`${base}${path}`, {
      signal,
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response;
  }

  #instancePath(s: ServiceName, i: InstanceName) {
    return [
      'services',
      s.namespace,
      s.name,
      'environments',
      i.environment,
      'instances',
      i.cluster,
      i.pod,
    ]
      .map(encodeURIComponent)
      .join('/');
  }

  getRuntime(service: ServiceName) {
    return this.#http.getRuntime(service);
  }

  getReleases(
    service: ServiceName,
    options: { environment?: string; before?: string; limit?: number },
  ) {
    return this.#http.getReleases(service, options);
  }

  getRelease(id: string) {
    return this.#http.getRelease(id);
  }

  release(service: ServiceName, input: K2ReleaseInput) {
    return this.#http.release(service, input);
  }

  previewRelease(service: ServiceName, input: K2ReleaseInput) {
    return this.#http.previewRelease(service, input);
  }

  async getVolumeNames(service: ServiceName, environment: string) {
    const { items } = await this.#storage.getVolumes(service, environment);
    return items.map(v => v.name);
  }

  async getConfigFiles(service: ServiceName, environment: string) {
    const { items } = await this.#config.getFiles(service, environment);
    return items.map(f => ({
      name: f.name,
      latest: f.latest.number,
      mountPath: f.mountPath,
      sensitive: f.sensitive,
    }));
  }

  getReleaseDefaults(service: ServiceName, environment: string) {
    return this.#http.getReleaseDefaults(service, environment);
  }

  rollback(id: string, message?: string) {
    return this.#http.rollback(id, { message });
  }

  approve(id: string) {
    return this.#http.approve(id);
  }

  reject(id: string, reason?: string) {
    return this.#http.reject(id, { reason });
  }

  cancel(id: string, reason?: string) {
    return this.#http.cancel(id, { reason });
  }

  getCanary(service: ServiceName, environment: string) {
    return this.#http.getCanary(service, environment);
  }

  startCanary(service: ServiceName, environment: string, input: K2CanaryInput) {
    return this.#http.startCanary(service, environment, input);
  }

  promoteCanary(service: ServiceName, environment: string) {
    return this.#http.promoteCanary(service, environment);
  }

  abortCanary(service: ServiceName, environment: string) {
    return this.#http.abortCanary(service, environment);
  }

  scale(service: ServiceName, environment: string, replicas: number) {
    return this.#http.scale(service, environment, { replicas });
  }

  restart(service: ServiceName, environment: string) {
    return this.#http.restart(service, environment);
  }

  adopt(service: ServiceName, environment: string) {
    return this.#http.adopt(service, environment);
  }

  setAutoscaling(
    service: ServiceName,
    environment: string,
    autoscaling: K2Autoscaling | null,
  ) {
    return this.#http.setAutoscaling(service, environment, autoscaling);
  }

  getRecommendation(service: ServiceName, environment: string) {
    return this.#http.getRecommendation(service, environment);
  }

  getImageTags(service: ServiceName) {
    return this.#http.getImageTags(service);
  }

  /** The activity log belongs to K2's core plugin, which every capability writes to. */
  async getActivity(
    service: ServiceName,
    options: { before?: string; limit?: number },
  ): Promise<{ items: K2Activity[]; nextCursor?: string }> {
    return this.#core.getActivity(service, options);
  }

  getInstanceHistory(
    service: ServiceName,
    options: {
      environment?: string;
      cluster?: string;
      before?: string;
      limit?: number;
    },
  ) {
    return this.#http.getInstanceHistory(service, options);
  }

  getEvents(
    service: ServiceName,
    options: {
      environment?: string;
      cluster?: string;
      pod?: string;
      warningsOnly?: boolean;
    },
  ) {
    return this.#http.getEvents(service, options);
  }

  getUsage(service: ServiceName, instance: InstanceName) {
    return this.#http.getUsage(service, instance);
  }

  async readLogs(
    service: ServiceName,
    instance: InstanceName,
    query: K2LogQuery,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.#fetch(
      'k2-deploy',
      `/${this.#instancePath(service, instance)}/logs?${queryOf(query)}`,
      signal,
    );
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        onText(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  async downloadLogs(
    service: ServiceName,
    instance: InstanceName,
    query: { container?: string; previous?: boolean },
  ): Promise<void> {
    const response = await this.#fetch(
      'k2-deploy',
      `/${this.#instancePath(service, instance)}/logs?${queryOf({
        ...query,
        download: true,
      })}`,
    );
    const name =
      /filename="([^"]+)"/.exec(
        response.headers.get('Content-Disposition') ?? '',
      )?.[1] ?? `${instance.pod}.log`;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
  }

  async setTraffic(
    service: ServiceName,
    instance: InstanceName,
    inTraffic: boolean,
  ): Promise<void> {
    await this.#http.setTraffic(service, instance, inTraffic);
  }

  restartInstance(service: ServiceName, instance: InstanceName) {
    return this.#http.restartInstance(service, instance);
  }

  destroyInstance(service: ServiceName, instance: InstanceName) {
    return this.#http.destroyInstance(service, instance);
  }

  getShellPolicy(service: ServiceName, environment: string) {
    return this.#http.getShellPolicy(service, environment);
  }

  openShell(
    service: ServiceName,
    instance: InstanceName,
    input: { container: string; cols?: number; rows?: number },
  ) {
    return this.#http.openShell(service, instance, input);
  }

  startDebugContainer(
    service: ServiceName,
    instance: InstanceName,
    input: { image: string; target: string; cols?: number; rows?: number },
  ) {
    return this.#http.startDebugContainer(service, instance, input);
  }

  listShellSessions(query: {
    service?: string;
    user?: string;
    limit?: number;
    before?: string;
  }) {
    return this.#http.listShellSessions(query);
  }

  /** The backend's base URL with its scheme swapped: http -> ws, https -> wss. */
  async shellSocketUrl(path: string): Promise<string> {
    const base = await this.options.discoveryApi.getBaseUrl('k2-deploy');
    const url = new URL(`${base}${path}`, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }
}
