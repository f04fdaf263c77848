import { ServiceUnavailableError } from '@backstage/errors';
import { RegistryConfig } from './readRegistries';

/** Tags asked for per page (`?n=`) by default; a registry may answer fewer and link the rest. */
const PAGE_SIZE = 1000;
/** Pages read per listing: beyond 10,000 tags the listing says it is incomplete. */
const MAX_PAGES = 10;
/** A bearer token without `expires_in` is reused for this long (the spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;

/** What one listing of a repository's tags found. */
export type TagListing =
  | { found: true; tags: string[]; complete: boolean }
  | { found: false };

/** One `WWW-Authenticate` challenge: its scheme and parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header carrying one challenge (as registries send), e.g.
 * `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`.
 */
export function parseAuthChallenge(header: string): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of match[2].matchAll(
    /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g,
  )) {
    params[param[1].toLowerCase()] = (param[2] ?? param[3]).replace(
      /\\(.)/g,
      '$1',
    );
  }
  return { scheme: match[1].toLowerCase(), params };
}

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (match && /;\s*rel\s*=\s*"?next"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

/**
 * Reads one registry through the OCI Distribution API: `GET /v2/<name>/tags/list`,
 * following `Link` pagination, and answering the registry's authentication challenge
 * (Basic, or Bearer through the token service the challenge names) with the
 * configured credentials.
 *
 * Invariants: credentials and tokens travel only in `Authorization` headers, to the
 * registry's own origin or to the token realm it names (which must be `https:` unless
 * the registry is configured `insecure`); they never appear in an error message. Every
 * HTTP call is bounded by the registry's timeout.
 */
export class RegistryClient {
  readonly #registry: RegistryConfig;
  readonly #origin: string;
  readonly #pageSize: number;
  /** Bearer tokens by scope, with the time they stop being used. */
  readonly #tokens = new Map<string, { token: string; until: number }>();

  constructor(registry: RegistryConfig, options: { pageSize?: number } = {}) {
    this.#registry = registry;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
    this.#origin = new URL(registry.baseUrl).origin;
  }

  /**
   * Every tag of the repository at `path` (in the registry's order), up to
   * `MAX_PAGES` pages; `found: false` when the registry does not know the repository.
   *
   * @throws ServiceUnavailableError when the registry cannot be reached, does not answer
   * in time, refuses K2's credentials or answers with an error
   */
  async listTags(path: string): Promise<TagListing> {
    const scope = `repository:${path}:pull`;
    const tags: string[] = [];
    let url: URL | undefined = new URL(
      `${this.#registry.baseUrl}/v2/${path}/tags/list?n=${this.#pageSize}`,
    );
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await this.#get(url, scope, path);
      if (response.status === 404) {
        await response.body?.cancel();
        return { found: false };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw this.#unavailable(
          `answered ${response.status} ${response.statusText} when K2 listed the tags of ${path}`,
        );
      }
      const body = (await this.#json(response, path)) as {
        tags?: unknown;
      };
      if (body.tags !== null && !Array.isArray(body.tags)) {
        throw this.#unavailable(`answered a tag list of ${path} without tags`);
      }
      for (const tag of (body.tags ?? []) as unknown[]) {
        if (typeof tag === 'string') tags.push(tag);
      }
      const next = nextLink(response.headers.get('link'));
      url = next === undefined ? undefined : new URL(next, url);
      if (url && url.origin !== this.#origin) {
        throw this.#unavailable(
          `pointed the next page of ${path}'s tags to another host (${url.host}); K2 does not follow it`,
        );
      }
    }
    return { found: true, tags, complete: url === undefined };
  }

  /** GET with the credentials the registry asks for, answering one challenge. */
  async #get(url: URL, scope: string, path: string): Promise<Response> {
    const cached = this.#tokens.get(scope);
    let authorization =
      cached && cached.until > Date.now()
        ? `Bearer ${cached.token}`
        : undefined;
    let response = await this.#fetch(url, authorization, path);
    if (response.status !== 401) return response;
    const challenge = parseAuthChallenge(
      response.headers.get('www-authenticate') ?? '',
    );
    await response.body?.cancel();
    authorization = await this.#answer(challenge, scope, path);
    response = await this.#fetch(url, authorization, path);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      this.#tokens.delete(scope);
      throw this.#unavailable(
        `refused K2's ${
          this.#registry.credentials ? 'credentials' : 'anonymous access'
        } (${response.status}) when K2 listed the tags of ${path}`,
      );
    }
    return response;
  }

  /** The `Authorization` header answering a challenge. */
  async #answer(
    challenge: AuthChallenge | undefined,
    scope: string,
    path: string,
  ): Promise<string> {
    const { credentials } = this.#registry;
    if (challenge?.scheme === 'basic') {
      if (!credentials) {
        throw this.#unavailable(
          `asks for a user name and password to list the tags of ${path}; K2 has none configured for it`,
        );
      }
      return basic(credentials);
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw this.#unavailable(
        `answered 401 to K2's tag list of ${path} without a Basic or Bearer challenge K2 can answer`,
      );
    }
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw this.#unavailable(
        `named a token service that is not a URL ('${challenge.params.realm}')`,
      );
    }
    if (realm.protocol !== 'https:' && !this.#registry.insecure) {
      throw this.#unavailable(
        `named a token service on plain HTTP (${realm.origin}); K2 sends credentials there only when the registry is configured insecure`,
      );
    }
    if (challenge.params.service) {
      realm.searchParams.set('service', challenge.params.service);
    }
    realm.searchParams.set('scope', challenge.params.scope ?? scope);
    const response = await this.#fetch(
      realm,
      credentials ? basic(credentials) : undefined,
      path,
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw this.#unavailable(
        `'s token service (${realm.origin}) answered ${response.status} ${response.statusText} when K2 asked to pull ${path}`,
      );
    }
    const body = (await this.#json(response, path)) as {
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
    };
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || !token) {
      throw this.#unavailable(
        `'s token service (${realm.origin}) answered without a token`,
      );
    }
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    // Reused until shortly before it expires, so no request carries a stale token.
    this.#tokens.set(scope, {
      token,
      until: Date.now() + Math.max(0, seconds - 10) * 1000,
    });
    return `Bearer ${token}`;
  }

  async #fetch(
    url: URL,
    authorization: string | undefined,
    path: string,
  ): Promise<Response> {
    const { timeoutMs } = this.#registry;
    try {
      return await fetch(url, {
        headers: {
          accept: 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') {
        throw this.#unavailable(
          `did not answer within ${timeoutMs} ms when K2 listed the tags of ${path}`,
        );
      }
      throw this.#unavailable(
        `cannot be reached (${
          e.cause?.code ?? e.message
        }) when K2 listed the tags of ${path}`,
      );
    }
  }

  async #json(response: Response, path: string): Promise<unknown> {
    try {
      return await response.json();
    } catch {
      throw this.#unavailable(
        `answered ${path}'s tags with something not JSON`,
      );
    }
  }

  #unavailable(problem: string) {
    const space = problem.startsWith("'") ? '' : ' ';
    return new ServiceUnavailableError(
      `Registry ${this.#registry.host}${space}${problem}`,
    );
  }
}

function basic(credentials: { username: string; password: string }) {
  return `Basic ${Buffer.from(
    `${credentials.username}:${credentials.password}`,
  ).toString('base64')}`;
}
