/** What the agent tells K2 after handling a bundle version. */
export interface AgentReport {
  version: string;
  ok: boolean;
  /** nginx's words (or the agent's) when `ok` is false; at most 8 KiB. */
  error?: string;
}

/**
 * K2 answered, and the answer says this agent is misconfigured (401, 403, 404) or its
 * request is invalid (400): waiting does not help, a change of config does.
 */
export class K2RefusedError extends Error {
  name = 'K2RefusedError';

  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** How long a long poll may stay open: K2 holds it up to 25 s. */
const PULL_TIMEOUT_MS = 40_000;
const REPORT_TIMEOUT_MS = 15_000;
/** K2 accepts report errors up to 8 KiB. */
export const MAX_REPORT_ERROR_BYTES = 8192;

/** Cuts `text` to at most `bytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let end = bytes;
  // Step back over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/**
 * K2's agent endpoints, `/api/k2-traffic/agent/v1/{bundle,report}`, authenticated with
 * the Nginx cluster's agent token. The token only ever leaves in the Authorization
 * header.
 */
export class K2Client {
  constructor(
    private readonly options: {
      k2Url: string;
      cluster: string;
      host: string;
      token: string;
    },
  ) {}

  /**
   * Long-polls for the cluster's bundle: the parsed body when K2's current version
   * differs from `after` (`''` before any bundle: no `after` parameter), `undefined`
   * when K2 held the request and nothing changed.
   */
  async pull(after: string, signal: AbortSignal): Promise<unknown | undefined> {
    const url = new URL(`${this.options.k2Url}/api/k2-traffic/agent/v1/bundle`);
    url.searchParams.set('cluster', this.options.cluster);
    url.searchParams.set('host', this.options.host);
    if (after) url.searchParams.set('after', after);
    const res = await fetch(url, {
      headers: this.headers(),
      signal: AbortSignal.any([signal, AbortSignal.timeout(PULL_TIMEOUT_MS)]),
    });
    if (res.status === 204) return undefined;
    if (res.status === 200) return res.json();
    throw await this.failure(res, 'bundle');
  }

  /** Sends a report; K2 answers 204. */
  async report(report: AgentReport): Promise<void> {
    const body = {
      cluster: this.options.cluster,
      host: this.options.host,
      version: report.version,
      ok: report.ok,
      ...(report.error !== undefined && {
        error: truncateUtf8(report.error, MAX_REPORT_ERROR_BYTES),
      }),
    };
    const res = await fetch(
      `${this.options.k2Url}/api/k2-traffic/agent/v1/report`,
      {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
      },
    );
    if (res.status === 204 || res.status === 200) return;
    throw await this.failure(res, 'report');
  }

  private headers() {
    return { authorization: `Bearer ${this.options.token}` };
  }

  private async failure(res: Response, what: string): Promise<Error> {
    let detail = '';
    try {
      const body = await res.json();
      detail = body?.error?.message ? `: ${body.error.message}` : '';
    } catch {
      // Not a JSON error body; the status says enough.
    }
    const { cluster, host } = this.options;
    switch (res.status) {
      case 401:
        return new K2RefusedError(
          `K2 refused the agent token for cluster '${cluster}' (401)${detail}`,
          401,
        );
      case 403:
        return new K2RefusedError(
          `K2 does not list host '${host}' in Nginx cluster '${cluster}' (403)${detail}`,
          403,
        );
      case 404:
        return new K2RefusedError(
          `K2 knows no Nginx cluster '${cluster}' (404)${detail}`,
          404,
        );
      case 400:
        return new K2RefusedError(
          `K2 refused the ${what} as invalid (400)${detail}`,
          400,
        );
      default:
        return new Error(`K2 answered the ${what} with ${res.status}${detail}`);
    }
  }
}
