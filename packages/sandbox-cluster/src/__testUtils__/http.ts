import type { SandboxCluster } from '../cluster';

/**
 * Test helpers that talk to a sandbox cluster over real HTTP, the way a client does:
 * a small fetch wrapper, a line-by-line watch reader and a bounded polling helper.
 */

/** A response with its body decoded as JSON when it is JSON, else as text. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface RequestOptions {
  /** Sent as JSON unless already a string. */
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  /** Overrides the bearer token; `null` sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export type ApiClient = ReturnType<typeof api>;

async function send(
  baseUrl: string,
  method: string,
  path: string,
  token: string | null,
  options: RequestOptions,
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body =
      typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A fetch wrapper for one cluster, authenticated with its first token by default. */
export function api(
  cluster: SandboxCluster,
  token: string = cluster.tokens[0],
) {
  const request = (
    method: string,
    path: string,
    options: RequestOptions = {},
  ) =>
    send(
      cluster.url,
      method,
      path,
      options.token === undefined ? token : options.token,
      options,
    );
  return {
    request,
    get: (path: string, options?: RequestOptions) =>
      request('GET', path, options),
    post: (path: string, body: unknown, options?: RequestOptions) =>
      request('POST', path, { ...options, body }),
    put: (path: string, body: unknown, options?: RequestOptions) =>
      request('PUT', path, { ...options, body }),
    /** PATCH with an explicit patch content type. */
    patch: (
      path: string,
      body: unknown,
      contentType: string,
      options?: RequestOptions,
    ) => request('PATCH', path, { ...options, body, contentType }),
    mergePatch: (path: string, body: unknown, options?: RequestOptions) =>
      request('PATCH', path, {
        ...options,
        body,
        contentType: 'application/merge-patch+json',
      }),
    /** Server-side apply of a YAML (or JSON) document. */
    apply: (path: string, body: unknown, options?: RequestOptions) =>
      request('PATCH', path, {
        ...options,
        body,
        contentType: 'application/apply-patch+yaml',
      }),
    delete: (path: string, body?: unknown, options?: RequestOptions) =>
      request('DELETE', path, { ...options, body }),
  };
}

/**
 * Polls `check` every 50 ms until it returns a truthy value (which is returned), failing
 * after `timeoutMs` (20 s) with a message naming what was awaited and the last value seen.
 */
export async function poll<T>(
  what: string,
  check: () =>
    | Promise<T | undefined | null | false>
    | T
    | undefined
    | null
    | false,
  timeoutMs = 20000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const detail =
        last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`,
      );
    }
    await new Promise(r => setTimeout(r, 50));
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

/**
 * One watch request, read line by line from the chunked response. Events queue up as
 * they arrive; `next` takes the next one (or `undefined` once the stream has ended).
 */
export class WatchStream {
  status = 0;
  /** Whether the server ended the response (or the connection went). */
  ended = false;
  private readonly queue: WatchEvent[] = [];
  private waiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private pumping: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Opens the request; resolves once the response headers have arrived. */
  async open(baseUrl: string, token: string | null) {
    const res = await fetch(`${baseUrl}${this.path}`, {
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      signal: this.abort.signal,
    });
    this.status = res.status;
    if (!res.ok || !res.body) {
      const text = await res.text();
      this.finish();
      throw new Error(`watch ${this.path} answered ${res.status}: ${text}`);
    }
    this.pumping = this.pump(res.body.getReader());
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>) {
    const decoder = new TextDecoder();
    let buffer = '';
    const flush = (final: boolean) => {
      const lines = buffer.split('\n');
      buffer = final ? '' : lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim()) this.queue.push(JSON.parse(line));
      }
      this.notify();
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        flush(false);
      }
      buffer += decoder.decode();
      flush(true);
    } catch {
      // Aborted by close(), or the server cut the connection.
    } finally {
      this.finish();
    }
  }

  private finish() {
    this.ended = true;
    this.notify();
  }

  private notify() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next event, or `undefined` when the stream has ended; fails after `timeoutMs`. */
  async next(timeoutMs = 10000): Promise<WatchEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.queue.shift();
      if (event) return event;
      if (this.ended) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for an event on watch ${this.path}`,
        );
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next `count` events; fails if the stream ends or stalls first. */
  async take(count: number, timeoutMs = 10000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    while (out.length < count) {
      const event = await this.next(timeoutMs);
      if (!event) {
        throw new Error(
          `watch ${this.path} ended after ${
            out.length
          } of ${count} events: ${JSON.stringify(out.map(e => e.type))}`,
        );
      }
      out.push(event);
    }
    return out;
  }

  /** Skips events until one matches; fails if the stream ends or stalls first. */
  async until(
    predicate: (event: WatchEvent) => boolean,
    timeoutMs = 10000,
  ): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      if (!event) {
        throw new Error(`watch ${this.path} ended before the awaited event`);
      }
      if (predicate(event)) return event;
    }
  }

  /** Waits (up to `timeoutMs`) for the server to end the stream; returns what was left. */
  async drain(timeoutMs = 10000): Promise<WatchEvent[]> {
    const out: WatchEvent[] = [];
    for (;;) {
      const event = await this.next(timeoutMs);
      if (!event) return out;
      out.push(event);
    }
  }

  /** Events that arrived and have not been taken yet (without waiting). */
  pending(): WatchEvent[] {
    return [...this.queue];
  }

  /** Closes the request from the client side. */
  async close() {
    this.abort.abort();
    await this.pumping;
  }
}

/** Starts a watch request against `path` (which carries `watch=true` and the rest). */
export async function readWatch(
  cluster: SandboxCluster,
  path: string,
  token: string | null = cluster.tokens[0],
): Promise<WatchStream> {
  const stream = new WatchStream(path);
  await stream.open(cluster.url, token);
  return stream;
}

let namespaceCounter = 0;

/** Creates a fresh namespace (`<prefix>-<n>`) and returns its name. */
export async function createNamespace(
  client: ApiClient,
  prefix = 'test',
): Promise<string> {
  namespaceCounter += 1;
  const name = `${prefix}-${namespaceCounter}-${Math.random()
    .toString(36)
    .slice(2, 7)}`;
  const res = await client.post('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (res.status !== 201) {
    throw new Error(
      `creating namespace ${name} answered ${res.status}: ${res.text}`,
    );
  }
  return name;
}

/** The namespaced collections a test may leave objects in, in deletion order. */
const COLLECTIONS = [
  '/apis/apps/v1/namespaces/NS/deployments',
  '/apis/apps/v1/namespaces/NS/replicasets',
  '/api/v1/namespaces/NS/pods',
  '/api/v1/namespaces/NS/services',
  '/api/v1/namespaces/NS/endpoints',
  '/api/v1/namespaces/NS/persistentvolumeclaims',
  '/api/v1/namespaces/NS/configmaps',
  '/api/v1/namespaces/NS/events',
];

/**
 * Deletes everything a test created in a namespace (clearing finalizers it may have
 * set), waits until the namespace is empty, then deletes the namespace and waits until
 * it is gone. Deleting the contents explicitly keeps the cleanup independent of how the
 * namespace controller behaves.
 */
export async function destroyNamespace(client: ApiClient, ns: string) {
  await poll(`namespace ${ns} to be emptied`, async () => {
    let left = 0;
    for (const template of COLLECTIONS) {
      const path = template.replace('NS', ns);
      const list = await client.get(path);
      for (const item of list.body?.items ?? []) {
        left += 1;
        const at = `${path}/${encodeURIComponent(item.metadata.name)}`;
        if (!item.metadata.deletionTimestamp) {
          await client.delete(`${at}?gracePeriodSeconds=0`);
        }
        if (item.metadata.finalizers?.length) {
          await client.mergePatch(at, { metadata: { finalizers: null } });
        }
      }
    }
    return left === 0;
  });
  const res = await client.delete(`/api/v1/namespaces/${ns}`);
  if (res.status !== 404) {
    await poll(`namespace ${ns} to be deleted`, async () => {
      const got = await client.get(`/api/v1/namespaces/${ns}`);
      return got.status === 404;
    });
  }
}
