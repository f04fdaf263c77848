import {
  createK2ApiClient,
  K2ApiClientOptions,
} from '@internal/plugin-k2-common';
import type { components, operations, paths } from '../generated/openapi';

type Schemas = components['schemas'];

/** Types of the Alerts API, from its OpenAPI document. */
export type K2AlertRuleTemplate = Schemas['RuleTemplate'];
export type K2AlertRuleTemplateInput = Schemas['RuleTemplateInput'];
export type K2AlertTemplateParameter = Schemas['TemplateParameter'];
export type K2AlertRule = Schemas['AlertRule'];
export type K2AlertRuleInput = Schemas['AlertRuleInput'];
export type K2AlertRulePreview = Schemas['RulePreview'];
export type K2Incident = Schemas['Incident'];
export type K2Alert = Schemas['Alert'];
export type K2AlertHistoryEntry = Schemas['AlertHistoryEntry'];
export type K2AlertSilence = Schemas['Silence'];
export type K2AlertSilenceInput = Schemas['SilenceInput'];
export type K2AlertStats = Schemas['AlertStats'];
export type K2ClusterChecks = Schemas['ClusterChecks'];
export type K2ClusterFinding = Schemas['ClusterFinding'];
export type K2TeamAlertSettings = Schemas['TeamAlertSettings'];
export type K2TeamAlertSettingsView = Schemas['TeamAlertSettingsView'];
export type K2AlertChannel = Schemas['AlertChannel'];
export type K2MessagePreviewInput = Schemas['MessagePreviewInput'];
/** The filters and page of a service's incidents. */
export type K2IncidentQuery = NonNullable<
  operations['GetServiceIncidents']['parameters']['query']
>;
/** The filters and page of a service's alert history. */
export type K2AlertHistoryQuery = NonNullable<
  operations['GetServiceAlertHistory']['parameters']['query']
>;
/** The filter of a team's incidents. */
export type K2TeamIncidentQuery = NonNullable<
  operations['GetTeamIncidents']['parameters']['query']
>;

/** A service as the Alerts API names it: its catalog namespace and name. */
export interface K2AlertsService {
  namespace: string;
  name: string;
}

/** How the Alerts client reaches its backend. */
export type K2AlertsClientOptions = K2ApiClientOptions;

/**
 * The Alerts API over HTTP for Backstage users (the Alerts tab and overview) and
 * other plugins, typed by its OpenAPI document. Every method resolves to the
 * response body or throws the backend's error (a K2ApiError).
 */
export class K2AlertsClient {
  readonly #options: K2AlertsClientOptions;

  constructor(options: K2AlertsClientOptions) {
    this.#options = options;
  }

  #client() {
    return createK2ApiClient<paths>('k2-alerts', this.#options);
  }

  async getTemplates() {
    const { data } = await (await this.#client()).GET('/templates');
    return data!;
  }

  async createTemplate(input: K2AlertRuleTemplateInput) {
    const { data } = await (
      await this.#client()
    ).POST('/templates', { body: input });
    return data!;
  }

  async updateTemplate(id: string, input: K2AlertRuleTemplateInput) {
    const { data } = await (
      await this.#client()
    ).PUT('/templates/{id}', { params: { path: { id } }, body: input });
    return data!;
  }

  async deleteTemplate(id: string) {
    await (
      await this.#client()
    ).DELETE('/templates/{id}', { params: { path: { id } } });
  }

  async getRules(service: K2AlertsService, environment?: string) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/rules', {
      params: { path: service, query: { environment } },
    });
    return data!;
  }

  async createRule(service: K2AlertsService, input: K2AlertRuleInput) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/rules', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  async updateRule(
    service: K2AlertsService,
    id: string,
    input: K2AlertRuleInput,
  ) {
    const { data } = await (
      await this.#client()
    ).PUT('/services/{namespace}/{name}/rules/{id}', {
      params: { path: { ...service, id } },
      body: input,
    });
    return data!;
  }

  async deleteRule(service: K2AlertsService, id: string) {
    await (
      await this.#client()
    ).DELETE('/services/{namespace}/{name}/rules/{id}', {
      params: { path: { ...service, id } },
    });
  }

  async previewRule(service: K2AlertsService, input: K2AlertRuleInput) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/rules/preview', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  async getIncidents(service: K2AlertsService, query?: K2IncidentQuery) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/incidents', {
      params: { path: service, query },
    });
    return data!;
  }

  async getIncident(id: string) {
    const { data } = await (
      await this.#client()
    ).GET('/incidents/{id}', { params: { path: { id } } });
    return data!;
  }

  async getAlertHistory(service: K2AlertsService, query?: K2AlertHistoryQuery) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/alerts', {
      params: { path: service, query },
    });
    return data!;
  }

  /** The incidents of every service a group (`team`) owns. */
  async getTeamIncidents(team: K2AlertsService, query?: K2TeamIncidentQuery) {
    const { data } = await (
      await this.#client()
    ).GET('/teams/{namespace}/{name}/incidents', {
      params: { path: team, query },
    });
    return data!;
  }

  /** Acknowledges an open incident (its escalation stops). */
  async acknowledgeIncident(id: string) {
    const { data } = await (
      await this.#client()
    ).POST('/incidents/{id}/acknowledge', {
      params: { path: { id } },
      body: {},
    });
    return data!;
  }

  /** Resolves an open incident by hand. */
  async resolveIncident(id: string) {
    const { data } = await (
      await this.#client()
    ).POST('/incidents/{id}/resolve', { params: { path: { id } }, body: {} });
    return data!;
  }

  /** A team's alert settings (defaults when it has none); webhook URLs masked. */
  async getTeamSettings(team: K2AlertsService) {
    const { data } = await (
      await this.#client()
    ).GET('/teams/{namespace}/{name}/settings', { params: { path: team } });
    return data!;
  }

  /** Replaces a team's alert settings; a webhook without `url` keeps its stored one. */
  async updateTeamSettings(
    team: K2AlertsService,
    settings: K2TeamAlertSettings,
  ) {
    const { data } = await (
      await this.#client()
    ).PUT('/teams/{namespace}/{name}/settings', {
      params: { path: team },
      body: settings,
    });
    return data!;
  }

  /** A channel's message rendered with a sample incident. */
  async previewTeamMessage(
    team: K2AlertsService,
    input: K2MessagePreviewInput,
  ) {
    const { data } = await (
      await this.#client()
    ).POST('/teams/{namespace}/{name}/settings/preview', {
      params: { path: team },
      body: input,
    });
    return data!;
  }

  async getSilences(service: K2AlertsService) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/silences', {
      params: { path: service },
    });
    return data!;
  }

  async createSilence(service: K2AlertsService, input: K2AlertSilenceInput) {
    const { data } = await (
      await this.#client()
    ).POST('/services/{namespace}/{name}/silences', {
      params: { path: service },
      body: input,
    });
    return data!;
  }

  async expireSilence(service: K2AlertsService, id: string) {
    await (
      await this.#client()
    ).DELETE('/services/{namespace}/{name}/silences/{id}', {
      params: { path: { ...service, id } },
    });
  }

  async getServiceStats(service: K2AlertsService, days?: number) {
    const { data } = await (
      await this.#client()
    ).GET('/services/{namespace}/{name}/stats', {
      params: { path: service, query: { days } },
    });
    return data!;
  }

  async getTeamStats(team: K2AlertsService, days?: number) {
    const { data } = await (
      await this.#client()
    ).GET('/teams/{namespace}/{name}/stats', {
      params: { path: team, query: { days } },
    });
    return data!;
  }

  /** Findings and open incidents of the cluster checks per cluster (platform admins). */
  async getClusterChecks() {
    const { data } = await (await this.#client()).GET('/clusters/checks');
    return data!;
  }
}
