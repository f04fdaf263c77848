import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  K2Activity,
  K2Autoscaling,
  K2Release,
  K2ReleaseInput,
  K2ReleaseList,
  K2ReplicaRecommendation,
  K2ServiceRuntime,
} from '@internal/plugin-k2-common';
import { K2DeployApi, ServiceName } from './K2DeployApi';

/** {@link K2DeployApi} over HTTP, through the app's discovery and fetch APIs. */
export class K2DeployClient implements K2DeployApi {
  constructor(
    private readonly options: {
      discoveryApi: DiscoveryApi;
      fetchApi: FetchApi;
    },
  ) {}

  async #call<T>(
    path: string,
    init?: { method: string; body?: unknown },
  ): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('k2-deploy');
    const response = await this.options.fetchApi.fetch(`${base}${path}`, {
      method: init?.method ?? 'GET',
      headers:
        init?.body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return (await response.json()) as T;
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
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) query.set(key, String(value));
    }
    return this.#call<K2ReleaseList>(
      `${this.#service(service)}/releases?${query}`,
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
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) query.set(key, String(value));
    }
    return this.#call<{ items: K2Activity[]; nextCursor?: string }>(
      `${this.#service(service)}/activity?${query}`,
    );
  }
}
