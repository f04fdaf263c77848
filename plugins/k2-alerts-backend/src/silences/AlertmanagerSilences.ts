import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';

const TIMEOUT_MS = 10_000;

/** A label matcher as Alertmanager's v2 API writes it. */
export type AmMatcher = {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
};

/** A silence as Alertmanager's `GET /api/v2/silences` answers it. */
export type AmSilence = {
  id: string;
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt?: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
};

/**
 * One environment's Alertmanager, its v2 silences API only. Every failure to reach it,
 * and every answer it gives that is not the API's, is a ServiceUnavailableError naming
 * the Alertmanager; what Alertmanager refuses as bad input is an InputError with its
 * words.
 */
export class AlertmanagerSilences {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url.replace(/\/+$/, '');
  }

  /** Silences with an equal matcher on each of `labels` (Alertmanager's filter). */
  async list(labels: Record<string, string>): Promise<AmSilence[]> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(labels)) {
      query.append('filter', `${name}=${JSON.stringify(value)}`);
    }
    const res = await this.#call(`/api/v2/silences?${query}`);
    return (await this.#json(res)) as AmSilence[];
  }

  /** @throws NotFoundError when Alertmanager has no silence of that id */
  async get(id: string): Promise<AmSilence> {
    const res = await this.#call(`/api/v2/silence/${encodeURIComponent(id)}`);
    if (res.status === 404) throw new NotFoundError(`No silence ${id}`);
    return (await this.#json(res)) as AmSilence;
  }

  /** Creates a silence and answers its id. */
  async create(silence: {
    matchers: AmMatcher[];
    startsAt: string;
    endsAt: string;
    createdBy: string;
    comment: string;
  }): Promise<string> {
    const res = await this.#call('/api/v2/silences', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(silence),
    });
    if (res.status === 400) {
      throw new InputError(
        `Alertmanager refused the silence: ${(await res.text()).trim()}`,
      );
    }
    const body = (await this.#json(res)) as { silenceID: string };
    return body.silenceID;
  }

  async expire(id: string): Promise<void> {
    const res = await this.#call(`/api/v2/silence/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
    if (res.status === 404) throw new NotFoundError(`No silence ${id}`);
    await this.#json(res);
  }

  async #call(path: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.#url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new ServiceUnavailableError(
        `Alertmanager at ${this.#url} could not be reached: ${
          (error as Error).cause ?? (error as Error).message
        }`,
      );
    }
  }

  async #json(res: Response): Promise<unknown> {
    const text = await res.text();
    if (!res.ok) {
      throw new ServiceUnavailableError(
        `Alertmanager at ${this.#url} answered ${res.status}: ${text
          .trim()
          .slice(0, 200)}`,
      );
    }
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      throw new ServiceUnavailableError(
        `Alertmanager at ${this.#url} answered something other than JSON`,
      );
    }
  }
}
