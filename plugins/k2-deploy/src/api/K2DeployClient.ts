import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  K2Activity,
  K2EventList,
  K2HistoricalContainerList,
  K2InstanceUsage,
  K2LogQuery,
  K2Autoscaling,
  K2Release,
  K2ReleaseInput,
  K2ReleaseList,
  K2ReplicaRecommendation,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';
import { InstanceName, K2DeployApi, ServiceName } from './K2DeployApi';

function queryOf(options: object) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && value !== false) query.set(key, String(value));
  }
  return query;
}

/** {@link K2DeployApi} over HTTP, through the app's discovery and fetch APIs. */
export class K2DeployClient implements K2DeployApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async #fetch(
    path: string,
    init?: { method: string; body?: unknown; signal?: AbortSignal },
  ): Promise<Response> {
    const base = await this.options.discoveryApi.getBaseUrl('k2-deploy');
    const response = await this.options.fetchApi.fetch(`${base}${path}`, {
      method: init?.method ?? 'GET',
      headers:
        init?.body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
      signal: init?.signal,
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response;
  }

  async #call<T>(
    path: string,
    init?: { method: string; body?: unknown },
  ): Promise<T> {
    return (await (await this.#fetch(path, init)).json()) as T;
  }

  #instance(service: ServiceName, i: InstanceName) {
    return `${this.#service(service)}/environments/${encodeURIComponent(
      i.environment,
    )}/instances/${encodeURIComponent(i.cluster)}/${encodeURIComponent(i.pod)}`;
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
    return this.#call<K2HistoricalContainerList>(
      `${this.#service(service)}/instances/history?${queryOf(options)}`,
    );
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
    return this.#call<K2EventList>(
      `${this.#service(service)}/events?${queryOf(options)}`,
    );
  }

  getUsage(service: ServiceName, instance: InstanceName) {
    return this.#call<K2InstanceUsage>(
      `${this.#instance(service, instance)}/usage`,
    );
  }

  async readLogs(
    service: ServiceName,
    instance: InstanceName,
    query: K2LogQuery,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.#fetch(
      `${this.#instance(service, instance)}/logs?${queryOf(query)}`,
      { method: 'GET', signal },
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
      `${this.#instance(service, instance)}/logs?${queryOf({
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
    await this.#fetch(`${this.#instance(service, instance)}/traffic`, {
      method: 'PUT',
      body: { inTraffic },
    });
  }

  async restartInstance(
    service: ServiceName,
    instance: InstanceName,
  ): Promise<void> {
    await this.#fetch(`${this.#instance(service, instance)}/restart`, {
      method: 'POST',
    });
  }

  async destroyInstance(
    service: ServiceName,
    instance: InstanceName,
  ): Promise<void> {
    await this.#fetch(this.#instance(service, instance), { method: 'DELETE' });
  }

  #service(s: ServiceName) {
    return `/services/${encodeURIComponent(s.namespace)}/${encodeURIComponent(
      s.name,
    )}`;
  }

  getRuntime(service: ServiceName) {
    return this.#call<K2ServiceRuntime>(`${this.#service(service)}/runtime`);
  }

  getReleases(
    service: ServiceName,
    options: { environment?: string; before?: string; limit?: number },
  ) {
    return this.#call<K2ReleaseList>(
      `${this.#service(service)}/releases?${queryOf(options)}`,
    );
  }

  getRelease(id: string) {
    return this.#call<K2Release>(`/releases/${encodeURIComponent(id)}`);
  }

  release(service: ServiceName, input: K2ReleaseInput) {
    return this.#call<K2Release>(`${this.#service(service)}/releases`, {
      method: 'POST',
      body: input,
    });
  }

  rollback(id: string, message?: string) {
    return this.#call<K2Release>(
      `/releases/${encodeURIComponent(id)}/rollback`,
      { method: 'POST', body: { message } },
    );
  }

  approve(id: string) {
    return this.#call<K2Release>(
      `/releases/${encodeURIComponent(id)}/approve`,
      {
        method: 'POST',
        body: {},
      },
    );
  }

  reject(id: string, reason?: string) {
    return this.#call<K2Release>(`/releases/${encodeURIComponent(id)}/reject`, {
      method: 'POST',
      body: { reason },
    });
  }

  scale(service: ServiceName, environment: string, replicas: number) {
    return this.#call<K2Release>(
      `${this.#service(service)}/environments/${encodeURIComponent(
        environment,
      )}/scale`,
      { method: 'POST', body: { replicas } },
    );
  }

  restart(service: ServiceName, environment: string) {
    return this.#call<K2Release>(
      `${this.#service(service)}/environments/${encodeURIComponent(
        environment,
      )}/restart`,
      { method: 'POST', body: {} },
    );
  }

  setAutoscaling(
    service: ServiceName,
    environment: string,
    autoscaling: K2Autoscaling | null,
  ) {
    const path = `${this.#service(service)}/environments/${encodeURIComponent(
      environment,
    )}/autoscaling`;
    return autoscaling
      ? this.#call<K2Release>(path, { method: 'PUT', body: autoscaling })
      : this.#call<K2Release>(path, { method: 'DELETE' });
  }

  getRecommendation(service: ServiceName, environment: string) {
    return this.#call<K2ReplicaRecommendation>(
      `${this.#service(service)}/environments/${encodeURIComponent(
        environment,
      )}/recommendation`,
    );
  }

  getActivity(
    service: ServiceName,
    options: { before?: string; limit?: number },
  ) {
    return this.#call<{ items: K2Activity[]; nextCursor?: string }>(
      `${this.#service(service)}/activity?${queryOf(options)}`,
    );
  }
}
