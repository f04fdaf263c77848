import { ServiceUnavailableError } from '@backstage/errors';
import { createHash } from 'crypto';
import { RegistryConfig } from './readRegistries';

/** Tags asked for per page (`?n=`) by default; a registry may answer fewer and link the rest. */
const PAGE_SIZE = 1000;
/** Pages read per listing: beyond 10,000 tags the listing says it is incomplete. */
const MAX_PAGES = 10;
/** A bearer token without `expires_in` is reused for this long (the spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/** A manifest digest as registries send it in `Docker-Content-Digest`. */
const DIGEST = /^sha(?:256:[a-f0-9]{64}|512:[a-f0-9]{128})$/;

/** The media types a manifest lookup accepts: OCI and Docker v2 manifests and indexes. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

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

/** One request to the registry, worded for error messages. */
interface Operation {
  /** Past tense after "when K2", e.g. `listed the tags of team/app`. */
  did: string;
  /** Infinitive after "to", e.g. `list the tags of team/app`. */
  to: string;
  /** The token scope the operation needs. */
  scope: string;
  /** The `Accept` header; default `application/json`. */
  accept?: string;
}

/**
 * Reads one registry through the OCI Distribution API: `GET /v2/<name>/tags/list`,
 * following `Link` pagination, and `HEAD /v2/<name>/manifests/<reference>`, answering
 * the registry's authentication challenge (Basic, or Bearer through the token service
 * the challenge names) with the configured credentials.
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
    const operation: Operation = {
      did: `listed the tags of ${path}`,
      to: `list the tags of ${path}`,
      scope: `repository:${path}:pull`,
    };
    const tags: string[] = [];
    let url: URL | undefined = new URL(
      `${this.#registry.baseUrl}/v2/${path}/tags/list?n=${this.#pageSize}`,
    );
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await this.#request('GET', url, operation);
      if (response.status === 404) {
        await response.body?.cancel();
        return { found: false };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw this.#unavailable(
          `answered ${response.status} ${response.statusText} when K2 ${operation.did}`,
        );
      }
      const body = (await this.#json(response, `${path}'s tags`)) as {
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

  /**
   * The digest of the manifest `reference` (a tag or a digest) names in the repository
   * at `path`, read with `HEAD` (OCI and Docker v2 manifests and indexes alike);
   * undefined when the registry has no such manifest or repository.
   *
   * @throws ServiceUnavailableError when the registry cannot be reached, does not answer
   * in time, refuses K2's credentials or answers with an error
   */
  async manifest(
    path: string,
    reference: string,
  ): Promise<{ digest: string } | undefined> {
    const separator = reference.includes(':') ? '@' : ':';
    const operation: Operation = {
      did: `looked up ${path}${separator}${reference}`,
      to: `look up ${path}${separator}${reference}`,
      scope: `repository:${path}:pull`,
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    };
    const url = new URL(
      `${this.#registry.baseUrl}/v2/${path}/manifests/${encodeURIComponent(
        reference,
      )}`,
    );
    const head = await this.#request('HEAD', url, operation);
    await head.body?.cancel();
    if (head.status === 404) return undefined;
    if (!head.ok) {
      throw this.#unavailable(
        `answered ${head.status} ${head.statusText} when K2 ${operation.did}`,
      );
    }
    const digest = head.headers.get('docker-content-digest');
    if (digest && DIGEST.test(digest)) return { digest };
    // A registry may leave the header out; the digest is then the body's own.
    const response = await this.#request('GET', url, operation);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw this.#unavailable(
        `answered ${response.status} ${response.statusText} when K2 ${operation.did}`,
      );
    }
    const body = Buffer.from(await response.arrayBuffer());
    return {
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    };
  }

  /** One request with the credentials the registry asks for, answering one challenge. */
  async #request(
    method: 'GET' | 'HEAD',
    url: URL,
    operation: Operation,
  ): Promise<Response> {
    const { scope } = operation;
    const accept = operation.accept ?? 'application/json';
    const cached = this.#tokens.get(scope);
    let authorization =
      cached && cached.until > Date.now()
        ? `Bearer ${cached.token}`
        : undefined;
    let response = await this.#fetch(
      method,
      url,
      accept,
      authorization,
      operation,
    );
    if (response.status !== 401) return response;
    const challenge = parseAuthChallenge(
      response.headers.get('www-authenticate') ?? '',
    );
    await response.body?.cancel();
    authorization = await this.#answer(challenge, operation);
    response = await this.#fetch(method, url, accept, authorization, operation);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      this.#tokens.delete(scope);
      throw this.#unavailable(
        `refused K2's ${
          this.#registry.credentials ? 'credentials' : 'anonymous access'
        } (${response.status}) when K2 ${operation.did}`,
      );
    }
    return response;
  }

  /** The `Authorization` header answering a challenge. */
  async #answer(
    challenge: AuthChallenge | undefined,
    operation: Operation,
  ): Promise<string> {
    const { credentials } = this.#registry;
    const { scope } = operation;
    if (challenge?.scheme === 'basic') {
      if (!credentials) {
        throw this.#unavailable(
          `asks for a user name and password to ${operation.to}; K2 has none configured for it`,
        );
      }
      return basic(credentials);
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw this.#unavailable(
        `answered 401 without a Basic or Bearer challenge K2 can answer when K2 ${operation.did}`,
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
      'GET',
      realm,
      'application/json',
      credentials ? basic(credentials) : undefined,
      operation,
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw this.#unavailable(
        `'s token service (${realm.origin}) answered ${response.status} ${response.statusText} when K2 asked to ${operation.to}`,
      );
    }
    const body = (await this.#json(response, 'a token')) as {
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
    method: 'GET' | 'HEAD',
    url: URL,
    accept: string,
    authorization: string | undefined,
    operation: Operation,
  ): Promise<Response> {
    const { timeoutMs } = this.#registry;
    try {
      return await fetch(url, {
        method,
        headers: {
          accept,
          ...(authorization ? { authorization } : {}),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError') {
        throw this.#unavailable(
          `did not answer within ${timeoutMs} ms when K2 ${operation.did}`,
        );
      }
      throw this.#unavailable(
        `cannot be reached (${e.cause?.code ?? e.message}) when K2 ${
          operation.did
        }`,
      );
    }
  }

  async #json(response: Response, what: string): Promise<unknown> {
    try {
      return await response.json();
    } catch {
      throw this.#unavailable(`answered ${what} with something not JSON`);
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
