import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import {
  K2AlertsClient,
  K2AlertsService,
  paths,
} from '@internal/plugin-k2-alerts-common';
import {
  K2AlertHistoryQuery,
  K2AlertsApi,
  K2IncidentQuery,
} from './K2AlertsApi';

/**
 * The Alerts API as the tab and the overview page call it: the shared
 * `K2AlertsClient` (templates, rules, previews) and the read routes of incidents and
 * history, typed by the same OpenAPI document. Every method resolves to the response
 * body or throws the backend's error (a K2ApiError).
 */
export class K2AlertsTabClient extends K2AlertsClient implements K2AlertsApi {
  readonly #options: K2ApiClientOptions;

  constructor(options: K2ApiClientOptions) {
    super(options);
    this.#options = options;
  }

  #api() {
    return createK2ApiClient<paths>('k2-alerts', this.#options);
  }

  async getIncidents(service: K2AlertsService, query: K2IncidentQuery = {}) {
    const { data } = await (
      await this.#api()
    ).GET('/services/{namespace}/{name}/incidents', {
      params: { path: service, query },
    });
    return data!;
  }

  async getIncident(id: string) {
    const { data } = await (
      await this.#api()
    ).GET('/incidents/{id}', { params: { path: { id } } });
    return data!;
  }

  async getAlertHistory(
    service: K2AlertsService,
    query: K2AlertHistoryQuery = {},
  ) {
    const { data } = await (
      await this.#api()
    ).GET('/services/{namespace}/{name}/alerts', {
      params: { path: service, query },
    });
    return data!;
  }

  async getTeamIncidents(
    team: K2AlertsService,
    query: { status?: 'open' | 'resolved' } = {},
  ) {
    const { data } = await (
      await this.#api()
    ).GET('/teams/{namespace}/{name}/incidents', {
      params: { path: team, query },
    });
    return data!;
  }
}
