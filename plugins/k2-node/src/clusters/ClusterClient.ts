import { KubeConfig } from '@kubernetes/client-node';
import fetch, { RequestInit, Response } from 'node-fetch';
import { createInterface } from 'readline';
import { Readable } from 'stream';
import WebSocket from 'ws';
import { KubeObject, WATCHED_RESOURCES } from './resources';

/** An error answer from a Kubernetes API server, with its `Status` reason. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly reason?: string;

  constructor(statusCode: number, message: string, reason?: string) {
    super(message);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** True for "410 Gone": the resourceVersion is too old, a full relist is needed. */
export function isGone(error: unknown): boolean {
  return error instanceof KubeApiError && error.statusCode === 410;
}

/** One line of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string; reason?: string };
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  /** Objects after this page, when the server counts them (not for filtered lists). */
  remainingItemCount?: number;
}

/** Where K2 writes a kind: every watched resource plus these. */
const WRITABLE_KINDS: Record<
  string,
  { basePath: string; plural: string; namespaced: boolean }
> = {
  ...Object.fromEntries(
    WATCHED_RESOURCES.map(r => [
      r.kind,
      { basePath: r.basePath, plural: r.name, namespaced: r.namespaced },
    ]),
  ),
  Namespace: { basePath: '/api/v1', plural: 'namespaces', namespaced: false },
  Secret: { basePath: '/api/v1', plural: 'secrets', namespaced: true },
  Job: { basePath: '/apis/batch/v1', plural: 'jobs', namespaced: true },
  // The Middleware store's instances with more than one replica.
  PodDisruptionBudget: {
    basePath: '/apis/policy/v1',
    plural: 'poddisruptionbudgets',
    namespaced: true,
  },
  Ingress: {
    basePath: '/apis/networking.k8s.io/v1',
    plural: 'ingresses',
    namespaced: true,
  },
  // prometheus-operator's: the Alerts backend's rule groups and URL probes.
  PrometheusRule: {
    basePath: '/apis/monitoring.coreos.com/v1',
    plural: 'prometheusrules',
    namespaced: true,
  },
  Probe: {
    basePath: '/apis/monitoring.coreos.com/v1',
    plural: 'probes',
    namespaced: true,
  },
};

/** TLS verification failures, by the code Node gives them, and what to do about each. */
const TLS_PROBLEMS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'is signed by an authority K2 does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed and K2 does not trust it',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'is signed by an authority K2 does not trust',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'is signed by an authority K2 does not trust',
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'does not name the host of the url',
};

/** A real API server's RBAC refusal: `User "..." cannot patch resource "deployments" ...`. */
const RBAC_REFUSAL = /\bcannot [a-z]+ resource\b/;

/**
 * HTTP access to one cluster's API server: paged lists, watch streams and server-side
 * apply. Authentication and TLS come from the cluster's `KubeConfig`.
 *
 * Errors that an operator fixes in the cluster's declaration (an untrusted certificate,
 * a refused token, a missing permission, an unreachable or slow server) name the
 * cluster and say what to change, so the health view and every refused action explain
 * themselves.
 */
export class ClusterClient {
  readonly #kc: KubeConfig;
  readonly #server: string;
  readonly #requestTimeoutMs: number;
  readonly #cluster: { name: string; configKey: string };
  /** One agent per cluster, so requests reuse connections. */
  #agent?: RequestInit['agent'];

  constructor(
    kc: KubeConfig,
    options: {
      requestTimeoutMs: number;
      /** The cluster's name and the config key that declares it, for messages. */
      cluster: { name: string; configKey: string };
    },
  ) {
    this.#kc = kc;
    this.#server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#cluster = options.cluster;
  }

  get server(): string {
    return this.#server;
  }

  /**
   * One request; `read` consumes the response within the deadline (none when
   * `timeoutMs` is 0: streams are cut by the caller's signal alone).
   */
  async #request<T>(
    path: string,
    query: Record<string, string | undefined>,
    init: RequestInit & { timeoutMs?: number; timeoutKey?: string },
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const url = new URL(this.#server + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const options = await this.#kc.applyToFetchOptions({});
    // The KubeConfig's headers (the bearer token) plus the request's own.
    const headers: Record<string, string> = {};
    new Headers(options.headers as unknown as HeadersInit).forEach(
      (value, key) => {
        headers[key] = value;
      },
    );
    Object.assign(headers, init.headers);
    const timeoutMs = init.timeoutMs ?? this.#requestTimeoutMs;
    const request = {
      ...init,
      agent: (this.#agent ??= options.agent as RequestInit['agent']),
      headers,
    };
    if (timeoutMs === 0) {
      try {
        return read(await fetch(url.toString(), request));
      } catch (error) {
        throw this.#connectionError(error);
      }
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const signals = [controller.signal];
      if (init.signal) signals.push(init.signal as AbortSignal);
      const response = await fetch(url.toString(), {
        ...request,
        signal: AbortSignal.any(signals) as RequestInit['signal'],
      });
      return await read(response);
    } catch (error) {
      if (controller.signal.aborted && !init.signal?.aborted) {
        throw new Error(
          `cluster '${this.#cluster.name}': ${
            init.method ?? 'GET'
          } ${path} timed out after ${timeoutMs} ms; the API server at ${
            this.#server
          } did not answer within ${
            init.timeoutKey ??
            (init.timeoutMs === undefined
              ? 'k2.clusterAccess.requestTimeout'
              : "the caller's deadline")
          }`,
        );
      }
      throw this.#connectionError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failed connection, named after the cluster and what to fix when that is known. */
  #connectionError(error: unknown): unknown {
    const code = (error as { code?: string })?.code;
    const { name, configKey } = this.#cluster;
    const tls = code ? TLS_PROBLEMS[code] : undefined;
    if (tls) {
      return new Error(
        `cluster '${name}': the TLS certificate of the API server at ${
          this.#server
        } ${tls} (${code}); set caData or caFile of ${configKey} to the certificate authority that signed it, or fix the certificate`,
      );
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
      return new Error(
        `cluster '${name}': cannot connect to the API server at ${
          this.#server
        } (${code}); check url of ${configKey}`,
      );
    }
    return error;
  }

  async #fail(response: Response, what: string): Promise<never> {
    throw this.#statusError(
      response.status,
      response.statusText,
      await response.text().catch(() => ''),
      what,
    );
  }

  /** An error answer as a {@link KubeApiError}: the Status message, and what to fix. */
  #statusError(
    statusCode: number,
    statusText: string,
    body: string,
    what: string,
  ): KubeApiError {
    let message = statusText;
    let reason: string | undefined;
    try {
      const status = JSON.parse(body);
      message = status.message ?? message;
      reason = status.reason;
    } catch {
      // not a Status object
    }
    const { name, configKey } = this.#cluster;
    let fix = '';
    if (statusCode === 401) {
      fix = `; cluster '${name}' does not accept K2's service account token: set a valid serviceAccountToken of ${configKey}`;
    } else if (statusCode === 403 && RBAC_REFUSAL.test(message)) {
      fix = `; K2's service account lacks this permission in cluster '${name}': grant it the access docs/configuration.md lists under Clusters`;
    }
    return new KubeApiError(
      statusCode,
      `${what}: ${statusCode} ${message}${fix}`,
      reason,
    );
  }

  /** One page of a list; `userAgent` names the caller in the server's audit log. */
  async list(
    path: string,
    query: { limit?: number; continue?: string; labelSelector?: string },
    signal?: AbortSignal,
    userAgent?: string,
  ): Promise<ListPage> {
    const body = await this.#request(
      path,
      {
        limit: query.limit ? String(query.limit) : undefined,
        continue: query.continue,
        labelSelector: query.labelSelector,
      },
      {
        method: 'GET',
        headers: {
          Accept: 'application/json',
          ...(userAgent ? { 'User-Agent': userAgent } : {}),
        },
        signal: signal as RequestInit['signal'],
      },
      async response => {
        if (!response.ok) await this.#fail(response, `list ${path}`);
        return (await response.json()) as {
          items?: KubeObject[];
          metadata?: {
            resourceVersion?: string;
            continue?: string;
            remainingItemCount?: number;
          };
        };
      },
    );
    return {
      items: body.items ?? [],
      resourceVersion: body.metadata?.resourceVersion ?? '',
      continue: body.metadata?.continue || undefined,
      remainingItemCount: body.metadata?.remainingItemCount,
    };
  }

  /**
   * Opens a watch and feeds its events to `onEvent`. Resolves when the server ends the
   * stream, rejects on errors; `signal` cuts it. `onOpen` runs once the server has
   * accepted the watch.
   */
  async watch(
    path: string,
    query: {
      resourceVersion: string;
      timeoutSeconds: number;
      labelSelector?: string;
    },
    handlers: {
      onOpen(): void;
      onEvent(event: WatchEvent): void;
      signal: AbortSignal;
    },
  ): Promise<void> {
    const response = await this.#request(
      path,
      {
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: query.resourceVersion,
        timeoutSeconds: String(query.timeoutSeconds),
        labelSelector: query.labelSelector,
      },
      {
        method: 'GET',
        headers: { Accept: 'application/json' },
        signal: handlers.signal as RequestInit['signal'],
        timeoutMs: 0,
      },
      async res => {
        if (!res.ok) await this.#fail(res, `watch ${path}`);
        return res;
      },
    );
    handlers.onOpen();
    const body = response.body;
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: body, crlfDelay: Infinity });
      let failed = false;
      const fail = (error: Error) => {
        if (failed) return;
        failed = true;
        lines.close();
        reject(error);
      };
      body.on('error', fail);
      // readline re-emits its input's errors.
      lines.on('error', fail);
      lines.on('line', line => {
        if (failed || !line) return;
        let event: WatchEvent;
        try {
          event = JSON.parse(line);
        } catch {
          fail(new Error(`watch ${path}: unreadable event`));
          return;
        }
        try {
          handlers.onEvent(event);
        } catch (error) {
          fail(error as Error);
        }
      });
      lines.on('close', () => {
        if (!failed) resolve();
      });
    });
  }

  /**
   * Server-side apply of a whole object under a field manager. With
   * `metadata.resourceVersion` set, the server refuses (409) when the object changed
   * since that version. `timeoutMs` replaces the client's request deadline for this call;
   * `timeoutKey` names the setting it comes from in the message when it runs out.
   */
  async apply(
    object: KubeObject,
    options: {
      fieldManager: string;
      force?: boolean;
      dryRun?: boolean;
      timeoutMs?: number;
      timeoutKey?: string;
    },
  ): Promise<KubeObject> {
    const kind = object.kind ?? '';
    const { name } = object.metadata;
    const path = objectPath(object);
    return this.#request(
      path,
      {
        fieldManager: options.fieldManager,
        force: options.force ? 'true' : undefined,
        dryRun: options.dryRun ? 'All' : undefined,
      },
      {
        method: 'PATCH',
        headers: {
          'Content-Type': 'application/apply-patch+yaml',
          Accept: 'application/json',
        },
        body: JSON.stringify(object),
        timeoutMs: options.timeoutMs,
        timeoutKey: options.timeoutKey,
      },
      async response => {
        if (!response.ok) await this.#fail(response, `apply ${kind} ${name}`);
        return (await response.json()) as KubeObject;
      },
    );
  }

  /**
   * Deletes an object; its dependents are garbage-collected in the background. A missing
   * object is not an error. `timeoutMs` replaces the client's request deadline, and
   * `timeoutKey` names its setting, as for {@link ClusterClient.apply}.
   */
  async delete(
    object: KubeObject,
    options: {
      gracePeriodSeconds?: number;
      timeoutMs?: number;
      timeoutKey?: string;
    } = {},
  ): Promise<void> {
    const { kind, metadata } = object;
    return this.#request(
      objectPath(object),
      {},
      {
        method: 'DELETE',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify({
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: 'Background',
          gracePeriodSeconds: options.gracePeriodSeconds,
        }),
        timeoutMs: options.timeoutMs,
        timeoutKey: options.timeoutKey,
      },
      async response => {
        if (response.status === 404) return;
        if (!response.ok) {
          await this.#fail(response, `delete ${kind} ${metadata.name}`);
        }
      },
    );
  }

  /** One GET of an API path that K2 does not watch, e.g. `metrics.k8s.io` pod metrics. */
  async get<T>(path: string, query?: Record<string, string>): Promise<T> {
    return this.#request(
      path,
      query ?? {},
      { method: 'GET', headers: { Accept: 'application/json' } },
      async response => {
        if (!response.ok) await this.#fail(response, `get ${path}`);
        return (await response.json()) as T;
      },
    );
  }

  /** One GET of a plain-text API path, e.g. a node's cAdvisor metrics through the proxy. */
  async getText(path: string, query?: Record<string, string>): Promise<string> {
    return this.#request(
      path,
      query ?? {},
      { method: 'GET', headers: { Accept: 'text/plain' } },
      async response => {
        if (!response.ok) await this.#fail(response, `get ${path}`);
        return response.text();
      },
    );
  }

  /**
   * A patch of an object or subresource K2 does not apply whole, e.g. a pod's
   * `ephemeralcontainers` (which only accepts updates and patches).
   */
  async patch<T>(
    path: string,
    body: unknown,
    contentType:
      | 'application/strategic-merge-patch+json'
      | 'application/merge-patch+json',
  ): Promise<T> {
    return this.#request(
      path,
      {},
      {
        method: 'PATCH',
        headers: { 'Content-Type': contentType, Accept: 'application/json' },
        body: JSON.stringify(body),
      },
      async response => {
        if (!response.ok) await this.#fail(response, `patch ${path}`);
        return (await response.json()) as T;
      },
    );
  }

  /**
   * Opens a WebSocket to an API path (a pod's `exec` or `attach`) with the cluster's
   * token and TLS settings, offering `protocols` in order of preference. The handshake
   * has the request deadline; an answer other than the upgrade rejects with the API
   * server's Status message as any other request's error does. `onOpen` runs as the
   * connection opens, before any message can arrive (a server may send its first
   * messages in the same packet as the upgrade).
   */
  async openWebSocket<T>(
    path: string,
    query: URLSearchParams,
    protocols: string[],
    onOpen: (ws: WebSocket) => T,
  ): Promise<T> {
    const url = new URL(this.#server + path);
    url.search = query.toString();
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const options: Record<string, any> = {};
    await this.#kc.applyToHTTPSOptions(options);
    const what = `${path.split('/').pop()} ${path}`;
    return new Promise<T>((resolve, reject) => {
      const ws = new WebSocket(url.toString(), protocols, {
        ...options,
        handshakeTimeout: this.#requestTimeoutMs,
        perMessageDeflate: false,
      });
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(error);
      };
      ws.once('open', () => {
        if (settled) return;
        settled = true;
        resolve(onOpen(ws));
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', error => settle(this.#connectionError(error)));
        res.on('end', () =>
          settle(
            this.#statusError(
              res.statusCode ?? 0,
              res.statusMessage ?? '',
              Buffer.concat(chunks).toString('utf8'),
              what,
            ),
          ),
        );
      });
      ws.once('error', error => {
        if (/timed out/i.test(error.message) && !settled) {
          settle(
            new Error(
              `cluster '${this.#cluster.name}': ${what} timed out after ${
                this.#requestTimeoutMs
              } ms; the API server at ${
                this.#server
              } did not answer within k2.clusterAccess.requestTimeout`,
            ),
          );
          return;
        }
        settle(this.#connectionError(error));
      });
    });
  }

  /**
   * Opens a streamed GET (pod logs) and returns the response once its headers arrive;
   * the caller reads the body at its own pace, which is the back-pressure on the
   * cluster. No deadline: the caller's `signal` ends it.
   */
  async stream(
    path: string,
    query: Record<string, string | undefined>,
    signal: AbortSignal,
  ): Promise<Readable> {
    return this.#request(
      path,
      query,
      {
        method: 'GET',
        headers: { Accept: 'text/plain, */*' },
        signal: signal as RequestInit['signal'],
        timeoutMs: 0,
      },
      async response => {
        if (!response.ok) await this.#fail(response, `get ${path}`);
        return response.body as Readable;
      },
    );
  }
}

/** The API path of an object of a kind K2 writes. */
function objectPath(object: KubeObject): string {
  const kind = object.kind ?? '';
  const target = WRITABLE_KINDS[kind];
  if (!target) throw new Error(`K2 does not write objects of kind '${kind}'`);
  const { namespace, name } = object.metadata;
  if (target.namespaced && !namespace) {
    throw new Error(`${kind} '${name}' needs a namespace`);
  }
  return `${target.basePath}${
    target.namespaced ? `/namespaces/${encodeURIComponent(namespace!)}` : ''
  }/${target.plural}/${encodeURIComponent(name)}`;
}
