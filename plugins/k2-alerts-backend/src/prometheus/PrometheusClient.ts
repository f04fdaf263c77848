import { ServiceUnavailableError } from '@backstage/errors';

/** One series of an instant query's answer. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

const TIMEOUT_MS = 10_000;

/** Prometheus answered a reload and did not reload. */
export class PrometheusRefusedError extends ServiceUnavailableError {}

/**
 * An environment's Prometheus over its HTTP API: instant queries (rule previews),
 * the parser (raw PromQL), the rules it loaded, and `/-/reload`.
 */
export class PrometheusClient {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url.replace(/\/+$/, '');
  }

  get url() {
    return this.#url;
  }

  async #call(path: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.#url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Prometheus at ${this.#url} could not be reached: ${
          (error as Error).cause ?? (error as Error).message
        }`,
      );
    }
  }

  async #api<T>(path: string, params: Record<string, string>) {
    const response = await this.#call(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { status: string; data?: T; error?: string; errorType?: string }
      | undefined;
    return { status: response.status, body };
  }

  /**
   * The instant value of an expression now.
   *
   * @throws ServiceUnavailableError when Prometheus cannot be reached or refuses it
   */
  async query(expr: string): Promise<PrometheusSample[]> {
    const { status, body } = await this.#api<{
      resultType: string;
      result: Array<{
        metric: Record<string, string>;
        value?: [number, string];
      }>;
    }>('/api/v1/query', { query: expr });
    if (body?.status !== 'success' || !body.data) {
      throw new ServiceUnavailableError(
        `Prometheus at ${this.#url} answered ${status}: ${
          body?.error ?? 'no result'
        }`,
      );
    }
    const { resultType, result } = body.data;
    if (resultType === 'scalar') {
      const [, value] = result as unknown as [number, string];
      return [{ labels: {}, value: Number(value) }];
    }
    return result.map(r => ({
      labels: r.metric,
      value: Number(r.value?.[1]),
    }));
  }

  /**
   * Prometheus's parser's verdict on an expression: undefined when it parses, else
   * its error.
   *
   * @throws ServiceUnavailableError when Prometheus cannot be reached
   */
  async parseError(expr: string): Promise<string | undefined> {
    const { status, body } = await this.#api<string>('/api/v1/format_query', {
      query: expr,
    });
    if (body?.status === 'success') return undefined;
    if (status === 400 && body?.errorType === 'bad_data') {
      return body.error ?? 'it does not parse';
    }
    throw new ServiceUnavailableError(
      `Prometheus at ${this.#url} answered ${status} to a parse request`,
    );
  }

  /**
   * Tells Prometheus to load its configuration and rule files again.
   *
   * @throws PrometheusRefusedError with Prometheus's words when it answered and did
   * not reload (a rule file it cannot load)
   * @throws ServiceUnavailableError when it cannot be reached
   */
  async reload(): Promise<void> {
    const response = await this.#call('/-/reload', { method: 'POST' });
    if (!response.ok) {
      const text = (await response.text().catch(() => '')).trim();
      throw new PrometheusRefusedError(
        `Prometheus at ${this.#url} did not reload (${response.status})${
          text ? `: ${text}` : ''
        }`,
      );
    }
  }

  /** The alerting rule groups Prometheus evaluates, by group name. */
  async ruleGroups(): Promise<
    Array<{
      name: string;
      file: string;
      rules: Array<{
        name: string;
        query: string;
        labels?: Record<string, string>;
      }>;
    }>
  > {
    const response = await this.#call('/api/v1/rules?type=alert');
    const body = (await response.json()) as {
      data: {
        groups: Array<{
          name: string;
          file: string;
          rules: Array<{
            name: string;
            query: string;
            labels?: Record<string, string>;
          }>;
        }>;
      };
    };
    return body.data.groups;
  }
}
