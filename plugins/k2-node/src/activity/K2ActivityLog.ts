import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { K2NewActivity } from '@internal/plugin-k2-common';
import { setTimeout as sleep } from 'timers/promises';

/** The plugin that owns the activity log's table (`plugins/k2-backend`). */
export const K2_CORE_PLUGIN_ID = 'k2';

/** Where K2 capabilities record what they did to a service. */
export interface K2ActivityLog {
  /**
   * Records an entry. Never throws: an entry that cannot be written after a few
   * attempts is logged as an error, so a failing log never turns an action that
   * happened into an error for the person who took it.
   */
  record(entry: K2NewActivity): Promise<void>;
  /**
   * One attempt at writing an entry, bounded in time; throws when the log did not take
   * it. For callers that keep the entry pending themselves and try again later (the
   * release driver's follow-ups), rather than holding their work on retries here.
   */
  write(entry: K2NewActivity): Promise<void>;
  /**
   * Records entries in their order with one call per {@link ACTIVITY_BATCH_MAX}
   * entries, for callers with many at once (the alerts intake during a storm). Never
   * throws, as {@link K2ActivityLog.record}: a batch that cannot be written after a
   * few attempts, or that the log refuses, is logged as an error, all its entries
   * unrecorded.
   */
  recordAll(entries: K2NewActivity[]): Promise<void>;
}

/** The most entries the `k2` plugin takes in one call (`POST /activity/batch`). */
export const ACTIVITY_BATCH_MAX = 500;

/** Delays between attempts to write one entry. */
const RETRY_DELAYS_MS = [100, 500, 2000];
/** One attempt waits this long for the `k2` plugin, so a hung log never holds an action. */
const ATTEMPT_TIMEOUT_MS = 3000;

/**
 * Writes activity entries to the `k2` core plugin, which owns the table, over its
 * service-to-service API (as the notifications service reaches its plugin), so every
 * capability plugin — wherever it is deployed — writes to one log.
 */
export class HttpActivityLog implements K2ActivityLog {
  readonly #discovery: DiscoveryService;
  readonly #auth: AuthService;
  readonly #logger: LoggerService;
  readonly #delays: number[];

  constructor(options: {
    discovery: DiscoveryService;
    auth: AuthService;
    logger: LoggerService;
    retryDelaysMs?: number[];
  }) {
    this.#discovery = options.discovery;
    this.#auth = options.auth;
    this.#logger = options.logger;
    this.#delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  record(entry: K2NewActivity): Promise<void> {
    return this.#withRetries(
      () => this.#post('/activity', entry),
      `${entry.action} on ${entry.service}`,
    );
  }

  write(entry: K2NewActivity): Promise<void> {
    return this.#post('/activity', entry);
  }

  async recordAll(entries: K2NewActivity[]): Promise<void> {
    for (let i = 0; i < entries.length; i += ACTIVITY_BATCH_MAX) {
      const batch = entries.slice(i, i + ACTIVITY_BATCH_MAX);
      await this.#withRetries(
        () => this.#post('/activity/batch', { entries: batch }),
        `${batch.length} entries (the first ${batch[0].action} on ${batch[0].service})`,
      );
    }
  }

  async #withRetries(post: () => Promise<void>, what: string) {
    for (let attempt = 0; ; attempt++) {
      try {
        await post();
        return;
      } catch (error) {
        // A refused entry (4xx) will be refused again; other failures may pass.
        const status = (error as ResponseError).response?.status ?? 500;
        if (attempt >= this.#delays.length || status < 500) {
          this.#logger.error(
            `Could not record ${what} in the activity log: ${error}`,
          );
          return;
        }
        await sleep(this.#delays[attempt]);
      }
    }
  }

  async #post(path: string, body: unknown) {
    const [baseUrl, { token }] = await Promise.all([
      this.#discovery.getBaseUrl(K2_CORE_PLUGIN_ID),
      this.#auth.getPluginRequestToken({
        onBehalfOf: await this.#auth.getOwnServiceCredentials(),
        targetPluginId: K2_CORE_PLUGIN_ID,
      }),
    ]);
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    if (!response.ok) throw await ResponseError.fromResponse(response);
  }
}
