import http from 'http';
import https from 'https';
import net, { Socket } from 'net';
import { Duplex } from 'stream';
import YAML from 'yaml';
import { StatusError, errors } from '../api/errors';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from '../api/patch';
import { DeleteOptions, PatchType } from '../api/registry';
import {
  RESOURCE_TYPES,
  ResourceType,
  apiVersionOf,
  findResourceType,
  isComputedResource,
  resourceKey,
  subresourceKind,
  verbsOf,
} from '../api/resources';
import {
  parseFieldSelector,
  parseLabelSelector,
  supportedFields,
  matchesFields,
  matchesLabels,
} from '../api/selectors';
import { toTable } from '../api/tables';
import { RemoteCommandServer } from '../kubelet/remoteCommand';
import {
  renderSummary,
  renderVolumeStatsMetrics,
} from '../kubelet/volumeStats';
import { KubeObject, WatchEventType } from '../api/types';
import type { SandboxCluster } from '../cluster';
import { sandboxCertificate } from './tls';

const KUBERNETES_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-k2-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface Route {
  group: string;
  version: string;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  legacyWatch: boolean;
}

/** An open watch response, so faults can cut, stall or expire it. */
export interface OpenWatch {
  expire(): void;
  drop(): void;
}

function injectedReason(code: number) {
  if (code === 401) return 'Unauthorized';
  if (code === 403) return 'Forbidden';
  if (code === 429) return 'TooManyRequests';
  return code >= 500 ? 'InternalError' : 'BadRequest';
}

function sendJson(res: http.ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: unknown) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status =
    error instanceof StatusError
      ? error
      : new StatusError(
          500,
          'InternalError',
          `Internal error occurred: ${
            (error as Error)?.message ?? String(error)
          }`,
        );
  sendJson(res, status.code, status.toStatus());
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new StatusError(
        413,
        'RequestEntityTooLarge',
        'Request entity too large: limit is 3145728',
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): any {
  if (!text.trim()) throw errors.badRequest('the request body is empty');
  try {
    return contentType.includes('yaml') ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(
      `the request body could not be decoded: ${(e as Error).message}`,
    );
  }
}

function parseRoute(segments: string[]): Route | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  let resource: string;
  let name: string | undefined;
  let subresource: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))
  ) {
    namespace = rest[1];
    [resource, name, subresource] = rest.slice(2);
  } else {
    [resource, name, subresource] = rest;
  }
  if (!resource) return undefined;
  const type = findResourceType(group, version, resource);
  if (!type) return undefined;
  if (namespace && !type.namespaced) return undefined;
  if (subresource && !type.subresources.includes(subresource)) return undefined;
  return {
    group,
    version,
    type,
    namespace,
    name: name ? decodeURIComponent(name) : undefined,
    subresource,
    legacyWatch,
  };
}

function verbOf(method: string, route: Route, query: URLSearchParams): string {
  const watch =
    route.legacyWatch || ['true', '1'].includes(query.get('watch') ?? '');
  switch (method) {
    case 'GET':
      if (watch) return 'watch';
      return route.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function wantsTable(req: http.IncomingMessage) {
  return /as=Table/.test(req.headers.accept ?? '');
}

function listKind(type: ResourceType) {
  return type.listKind;
}

function manager(req: http.IncomingMessage, query: URLSearchParams) {
  const explicit = query.get('fieldManager');
  if (explicit) return explicit;
  const agent = req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0] || 'unknown';
}

function patchTypeOf(contentType: string): PatchType {
  if (contentType.startsWith('application/json-patch+json')) return 'json';
  if (contentType.startsWith('application/merge-patch+json')) return 'merge';
  if (contentType.startsWith('application/strategic-merge-patch+json'))
    return 'strategic';
  if (contentType.startsWith('application/apply-patch+yaml')) return 'apply';
  throw errors.unsupportedMediaType(contentType);
}

/**
 * `{swagger: "2.0", info: {title: "Kubernetes", version}}` as a gnostic OpenAPI v2
 * protobuf Document (field 1 swagger, field 2 info with title 1 and version 2).
 */
function emptyOpenApiProtobuf(version: string): Buffer {
  const field = (tag: number, value: Buffer) =>
    Buffer.concat([Buffer.from([(tag << 3) | 2, value.length]), value]);
  const info = Buffer.concat([
    field(1, Buffer.from('Kubernetes')),
    field(2, Buffer.from(version)),
  ]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
}

/** The Kubernetes REST API of one sandbox cluster, as a node `http` request handler. */
export class ApiServer {
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private server?: net.Server;

  constructor(private readonly cluster: SandboxCluster) {}

  /**
   * Serves plain HTTP and HTTPS on the same port: the first byte of a connection tells
   * a TLS handshake (0x16) from an HTTP request. The portal uses HTTP; kubectl, which
   * sends tokens only over TLS, uses HTTPS.
   */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch(error => sendError(res, error));
    };
    const plain = http.createServer(handler);
    const secure = https.createServer(sandboxCertificate(), handler);
    const upgrade = (
      req: http.IncomingMessage,
      socket: Duplex,
      head: Buffer,
    ) => {
      // A response on the raw socket, so refusals are written as for any request.
      const res = new http.ServerResponse(req);
      res.assignSocket(socket as Socket);
      res.shouldKeepAlive = false;
      res.on('finish', () => socket.end());
      this.upgrade(req, res, socket, head).catch(error =>
        sendError(res, error),
      );
    };
    for (const s of [plain, secure]) {
      s.keepAliveTimeout = 30000;
      s.on('upgrade', upgrade);
    }
    const server = net.createServer(socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.once('data', data => {
        socket.pause();
        socket.unshift(data);
        (data[0] === 0x16 ? secure : plain).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as { port: number }).port;
  }

  /** Stops listening and cuts every connection, open watches included. */
  async close() {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    this.watches.clear();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }

  get listening() {
    return this.server !== undefined;
  }

  openWatchCount() {
    return this.watches.size;
  }

  /** Sends 410 Gone to every open watch and ends it (a forced expiry). */
  expireWatches() {
    for (const watch of [...this.watches]) watch.expire();
  }

  dropWatches() {
    for (const watch of [...this.watches]) watch.drop();
  }

  private authorized(req: http.IncomingMessage) {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    return m !== null && this.cluster.tokens.includes(m[1].trim());
  }

  /**
   * An upgrade request: `exec` and `attach` of a pod over WebSocket, after the same
   * authentication, counting and fault injection as every request. Refusals (401, 404,
   * 400) are answered before the handshake, as the real API server answers them; any
   * other upgrade (SPDY, a WebSocket to another path) is refused with a Status.
   */
  private async upgrade(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    socket: Duplex,
    head: Buffer,
  ) {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (!this.authorized(req)) {
      this.cluster.counters.add(
        'unauthorized',
        url.pathname.split('/')[1] ?? '',
      );
      throw errors.unauthorized();
    }
    const m =
      /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/.exec(
        url.pathname,
      );
    if (!m) throw errors.badRequest('this path does not serve upgrades');
    const kind = m[3] as 'exec' | 'attach';
    const verb = req.method === 'POST' ? 'create' : 'get';
    this.cluster.counters.add(verb, `pods/${kind}`, req.headers['user-agent']);
    if (await this.injectFaults(res, verb, 'pods')) return;
    const target = this.cluster.kubelet.remoteCommands.target(
      kind,
      decodeURIComponent(m[1]),
      decodeURIComponent(m[2]),
      url.searchParams,
    );
    const websocket =
      String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!websocket || !RemoteCommandServer.offersProtocol(req)) {
      throw errors.badRequest(
        `the sandbox serves ${kind} over WebSocket with the protocols v5.channel.k8s.io and v4.channel.k8s.io only (SPDY is not served)`,
      );
    }
    res.detachSocket(socket as Socket);
    this.cluster.kubelet.remoteCommands.upgrade(req, socket, head, target);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const segments = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const query = url.searchParams;

    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (!this.authorized(req)) {
      this.cluster.counters.add(
        'unauthorized',
        url.pathname.split('/')[1] ?? '',
      );
      sendError(res, errors.unauthorized());
      return;
    }
    if (segments[0] === 'sandbox') {
      await this.cluster.admin.handle(req, res, segments.slice(1), url);
      return;
    }
    const cadvisor =
      /^\/api\/v1\/nodes\/([^/]+)\/proxy\/metrics\/cadvisor$/.exec(
        url.pathname,
      );
    if (cadvisor && method === 'GET') {
      // A real API path (get on nodes/proxy): counted, and subject to injected faults.
      this.cluster.counters.add('get', 'nodes/proxy');
      if (await this.injectFaults(res, 'get', 'nodes')) return;
      const node = decodeURIComponent(cadvisor[1]);
      const text = this.cluster.cadvisorText(node);
      if (text === undefined) {
        sendError(res, errors.notFound(this.cluster.type('', 'nodes'), node));
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      });
      res.end(text);
      return;
    }
    const kubelet =
      /^\/api\/v1\/nodes\/([^/]+)\/proxy\/(metrics|stats\/summary)$/.exec(
        url.pathname,
      );
    if (kubelet && method === 'GET') {
      this.cluster.counters.add('get', 'nodes/proxy');
      if (await this.injectFaults(res, 'get', 'nodes')) return;
      const node = decodeURIComponent(kubelet[1]);
      const now = Date.now();
      const stats = this.cluster.volumeStats(node, now);
      const filesystem = this.cluster.nodeFilesystem(node);
      if (stats === undefined || filesystem === undefined) {
        sendError(res, errors.notFound(this.cluster.type('', 'nodes'), node));
        return;
      }
      if (kubelet[2] === 'metrics') {
        res.writeHead(200, {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        });
        res.end(renderVolumeStatsMetrics(stats));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(renderSummary(node, stats, filesystem, now)));
      }
      return;
    }
    if (url.pathname === '/metrics') {
      this.cluster.counters.add('get', 'metrics');
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      });
      res.end(this.cluster.prometheusText());
      return;
    }

    const route =
      (segments[0] === 'api' && segments.length > 2) ||
      (segments[0] === 'apis' && segments.length > 3)
        ? parseRoute(segments)
        : undefined;
    let verb = method.toLowerCase();
    if (route) verb = verbOf(method, route, query);
    else if (method === 'GET') verb = 'get';
    const resourceName = route
      ? `${route.type.resource}${
          route.subresource ? `/${route.subresource}` : ''
        }`
      : 'discovery';
    this.cluster.counters.add(verb, resourceName, req.headers['user-agent']);
    if (await this.injectFaults(res, verb, route?.type.resource)) return;

    if (!route) {
      this.discovery(req, res, segments, method);
      return;
    }
    await this.resource(req, res, route, verb, query);
  }

  /**
   * Holds the request unanswered under the black-hole fault (true); delays by the
   * latency fault; answers with an injected error (true) if one applies.
   */
  private async injectFaults(
    res: http.ServerResponse,
    verb: string,
    resource: string | undefined,
  ): Promise<boolean> {
    const held = this.cluster.faults.blackholeMs(verb, resource);
    if (held > 0) {
      // No answer, ever: the connection is cut when the fault ends, unless the client
      // gave up first.
      const cut = setTimeout(() => res.destroy(), held);
      res.on('close', () => clearTimeout(cut));
      return true;
    }
    const delay = this.cluster.faults.latencyMs();
    if (delay > 0) await new Promise(r => setTimeout(r, delay));
    const injected = this.cluster.faults.errorFor(verb, resource);
    if (!injected) return false;
    sendError(
      res,
      new StatusError(
        injected,
        injectedReason(injected),
        injected === 403
          ? // Worded as a real API server's RBAC refusal, which clients recognise.
            `${
              resource ?? 'the API'
            } is forbidden: User "system:serviceaccount:sandbox:client" cannot ${verb} resource "${resource}" (injected fault: the sandbox answers 403 for a while)`
          : `injected fault: the sandbox answers ${injected} for a while`,
      ),
    );
    return true;
  }

  private discovery(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    segments: string[],
    method: string,
  ) {
    if (method !== 'GET') throw errors.methodNotAllowed();
    const path = `/${segments.join('/')}`;
    if (path === '/version') {
      sendJson(res, 200, KUBERNETES_VERSION);
      return;
    }
    if (path === '/api') {
      sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' },
        ],
      });
      return;
    }
    if (path === '/apis') {
      const groups = new Map<string, string>();
      for (const t of RESOURCE_TYPES)
        if (t.group) groups.set(t.group, t.version);
      sendJson(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, version]) => ({
          name,
          versions: [{ groupVersion: `${name}/${version}`, version }],
          preferredVersion: { groupVersion: `${name}/${version}`, version },
        })),
      });
      return;
    }
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
    if (m) {
      const group = m[2] ?? '';
      const version = m[1] ?? m[3];
      const types = RESOURCE_TYPES.filter(t => t.group === group);
      if (types.length > 0 && !version) {
        sendJson(res, 200, {
          kind: 'APIGroup',
          apiVersion: 'v1',
          name: group,
          versions: [
            {
              groupVersion: `${group}/${types[0].version}`,
              version: types[0].version,
            },
          ],
          preferredVersion: {
            groupVersion: `${group}/${types[0].version}`,
            version: types[0].version,
          },
        });
        return;
      }
      const served = types.filter(t => t.version === version);
      if (served.length > 0) {
        sendJson(res, 200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: group ? `${group}/${version}` : version,
          resources: served.flatMap(t => [
            {
              name: t.resource,
              singularName: t.singularName,
              namespaced: t.namespaced,
              kind: t.kind,
              verbs: verbsOf(t),
              ...(t.shortNames ? { shortNames: t.shortNames } : {}),
              ...(t.categories ? { categories: t.categories } : {}),
            },
            ...t.subresources.map(sub => {
              const kind = subresourceKind(t, sub);
              return {
                name: `${t.resource}/${sub}`,
                singularName: '',
                namespaced: t.namespaced,
                ...(kind.group
                  ? { group: kind.group, version: kind.version }
                  : {}),
                kind: kind.kind,
                verbs: verbsOf(t, sub),
              };
            }),
          ]),
        });
        return;
      }
    }
    if (path === '/openapi/v2') {
      // An empty but valid document: clients that validate against it (kubectl apply)
      // skip kinds without a schema, as for custom resources without one.
      if ((req.headers.accept ?? '').includes('protobuf')) {
        const body = emptyOpenApiProtobuf(KUBERNETES_VERSION.gitVersion);
        res.writeHead(200, {
          'Content-Type':
            'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
          'Content-Length': body.length,
        });
        res.end(body);
        return;
      }
      sendJson(res, 200, {
        swagger: '2.0',
        info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
        paths: {},
        definitions: {},
      });
      return;
    }
    throw errors.pathNotFound();
  }

  private async resource(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    verb: string,
    query: URLSearchParams,
  ) {
    const { type, namespace, name, subresource } = route;
    const registry = this.cluster.registry;
    const dryRun = query.getAll('dryRun').includes('All');
    const contentType = String(
      req.headers['content-type'] ?? 'application/json',
    );

    if (isComputedResource(type)) {
      if (verb !== 'get' && verb !== 'list') throw errors.methodNotAllowed();
      const items = this.cluster.resourceMetrics(type, namespace);
      if (verb === 'get') {
        const item = items.find(i => i.metadata.name === name);
        if (!item) throw errors.notFound(type, name!);
        sendJson(res, 200, item);
      } else {
        const selector = parseLabelSelector(
          query.get('labelSelector') ?? undefined,
        );
        sendJson(res, 200, {
          kind: type.listKind,
          apiVersion: apiVersionOf(type),
          metadata: {},
          items: items.filter(i => matchesLabels(selector, i.metadata.labels)),
        });
      }
      return;
    }

    if (subresource === 'log') {
      await this.cluster.kubelet.serveLogs(req, res, namespace!, name!, query);
      return;
    }
    if (subresource === 'scale') {
      await this.scale(req, res, route, verb, query);
      return;
    }
    if (subresource === 'exec' || subresource === 'attach') {
      throw errors.badRequest('Upgrade request required');
    }
    if (subresource === 'ephemeralcontainers') {
      await this.ephemeralContainers(req, res, route, verb, query);
      return;
    }

    switch (verb) {
      case 'get': {
        const obj = registry.get(type, namespace, name!);
        sendJson(
          res,
          200,
          wantsTable(req) && !subresource
            ? toTable(
                type,
                [obj],
                { resourceVersion: obj.metadata.resourceVersion },
                query.get('includeObject') ?? undefined,
              )
            : obj,
        );
        return;
      }
      case 'list': {
        if (query.get('continue') && this.cluster.faults.takeContinueExpiry()) {
          // An injected compaction: the token now predates it, so the list is 410.
          this.cluster.store.compact();
        }
        const result = registry.list(type, namespace, {
          labelSelector: parseLabelSelector(
            query.get('labelSelector') ?? undefined,
          ),
          fieldSelector: parseFieldSelector(
            query.get('fieldSelector') ?? undefined,
            supportedFields(resourceKey(type)),
          ),
          limit: Number(query.get('limit') ?? 0) || undefined,
          continue: query.get('continue') ?? undefined,
        });
        const meta = {
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          ...(result.remainingItemCount !== undefined
            ? { remainingItemCount: result.remainingItemCount }
            : {}),
        };
        if (wantsTable(req)) {
          sendJson(
            res,
            200,
            toTable(
              type,
              result.items,
              meta,
              query.get('includeObject') ?? undefined,
            ),
          );
        } else {
          sendJson(res, 200, {
            kind: listKind(type),
            apiVersion: apiVersionOf(type),
            metadata: meta,
            items: result.items,
          });
        }
        return;
      }
      case 'watch':
        this.watch(req, res, route, query);
        return;
      case 'create': {
        if (subresource || name) throw errors.methodNotAllowed();
        const body = parseBody(await readBody(req), contentType);
        const created = registry.create(type, namespace, body, {
          manager: manager(req, query),
          dryRun,
        });
        sendJson(res, 201, created);
        return;
      }
      case 'update': {
        const body = parseBody(await readBody(req), contentType);
        const existed = registry.find(type, namespace, name!) !== undefined;
        const updated = registry.update(type, namespace, name!, body, {
          manager: manager(req, query),
          dryRun,
          subresource,
        });
        sendJson(res, existed ? 200 : 201, updated);
        return;
      }
      case 'patch': {
        const patchType = patchTypeOf(contentType);
        const text = await readBody(req);
        const existed = registry.find(type, namespace, name!) !== undefined;
        const patched = registry.patch(
          type,
          namespace,
          name!,
          patchType,
          text,
          {
            manager:
              query.get('fieldManager') ??
              (patchType === 'apply' ? undefined : manager(req, query)),
            force: query.get('force') === 'true',
            dryRun,
            subresource,
          },
        );
        sendJson(res, existed ? 200 : 201, patched);
        return;
      }
      case 'delete': {
        const text = await readBody(req);
        const body = text.trim() ? parseBody(text, contentType) : {};
        const options: DeleteOptions = {
          dryRun,
          propagationPolicy:
            (query.get(
              'propagationPolicy',
            ) as DeleteOptions['propagationPolicy']) ??
            body.propagationPolicy ??
            (body.orphanDependents === true ? 'Orphan' : undefined),
          gracePeriodSeconds:
            query.get('gracePeriodSeconds') !== null
              ? Number(query.get('gracePeriodSeconds'))
              : body.gracePeriodSeconds,
          preconditions: body.preconditions,
        };
        const { object, finished } = registry.delete(
          type,
          namespace,
          name!,
          options,
        );
        // The real server answers 200 for deletions that finish later too (graceful
        // pods, finalizers, namespaces), with the object as it now stands.
        if (!finished || type.resource === 'pods') {
          sendJson(res, 200, object);
        } else {
          sendJson(res, 200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: {
              name: object.metadata.name,
              ...(type.group ? { group: type.group } : {}),
              kind: type.resource,
              uid: object.metadata.uid,
            },
          });
        }
        return;
      }
      case 'deletecollection': {
        const labelSelector = parseLabelSelector(
          query.get('labelSelector') ?? undefined,
        );
        const fieldSelector = parseFieldSelector(
          query.get('fieldSelector') ?? undefined,
          supportedFields(resourceKey(type)),
        );
        const victims = registry.list(type, namespace, {
          labelSelector,
          fieldSelector,
        }).items;
        for (const obj of victims) {
          registry.delete(type, obj.metadata.namespace, obj.metadata.name, {
            dryRun,
            propagationPolicy:
              (query.get(
                'propagationPolicy',
              ) as DeleteOptions['propagationPolicy']) ?? undefined,
          });
        }
        sendJson(res, 200, {
          kind: listKind(type),
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(this.cluster.store.currentRv()) },
          items: victims,
        });
        return;
      }
      default:
        throw errors.methodNotAllowed();
    }
  }

  /**
   * `pods/{name}/ephemeralcontainers`: GET answers the pod; PATCH (any patch type) and
   * PUT change only `spec.ephemeralContainers`, which may only grow: an existing
   * ephemeral container may be neither changed nor removed (422 as Kubernetes words it).
   */
  private async ephemeralContainers(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    verb: string,
    query: URLSearchParams,
  ) {
    const { type, namespace, name } = route;
    const registry = this.cluster.registry;
    const live = registry.get(type, namespace, name!);
    if (verb === 'get') {
      sendJson(res, 200, live);
      return;
    }
    if (verb !== 'update' && verb !== 'patch') throw errors.methodNotAllowed();
    const contentType = String(
      req.headers['content-type'] ?? 'application/json',
    );
    const text = await readBody(req);
    let desired: any;
    if (verb === 'update') desired = parseBody(text, contentType);
    else {
      const patchType = patchTypeOf(contentType);
      if (patchType === 'apply') {
        throw errors.unsupportedMediaType(contentType);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw errors.badRequest(
          `error decoding patch: ${(e as Error).message}`,
        );
      }
      const current = structuredClone(live);
      if (patchType === 'json') desired = applyJsonPatch(current, body);
      else if (patchType === 'strategic') {
        desired = applyStrategicMergePatch(current, body);
      } else desired = applyMergePatch(current, body);
    }
    const sentRv = desired?.metadata?.resourceVersion;
    if (sentRv && sentRv !== live.metadata.resourceVersion) {
      throw errors.conflict(
        type,
        name!,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const next: any[] = desired?.spec?.ephemeralContainers ?? [];
    const causes = checkEphemeralContainers(live, next);
    if (causes.length > 0) throw errors.invalid(type, name!, causes);
    const dryRun = query.getAll('dryRun').includes('All');
    const containers = next.map(c =>
      live.spec.ephemeralContainers?.some((o: any) => o.name === c.name)
        ? c
        : {
            imagePullPolicy: /:[^/:]+$/.test(c.image ?? '')
              ? 'IfNotPresent'
              : 'Always',
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            ...c,
          },
    );
    if (dryRun) {
      sendJson(res, 200, {
        ...live,
        spec: { ...live.spec, ephemeralContainers: containers },
      });
      return;
    }
    const updated = registry.mutate(type, namespace, name!, o => {
      if (containers.length > 0) o.spec.ephemeralContainers = containers;
    });
    sendJson(res, 200, updated ?? live);
  }

  private async scale(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    verb: string,
    query: URLSearchParams,
  ) {
    const { type, namespace, name } = route;
    const registry = this.cluster.registry;
    const toScale = (obj: KubeObject) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: {
        replicas: obj.status?.replicas ?? 0,
        selector: Object.entries(obj.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    });
    const live = registry.get(type, namespace, name!);
    if (verb === 'get') {
      sendJson(res, 200, toScale(live));
      return;
    }
    if (verb !== 'update' && verb !== 'patch') throw errors.methodNotAllowed();
    const contentType = String(
      req.headers['content-type'] ?? 'application/json',
    );
    const text = await readBody(req);
    let desired: any;
    if (verb === 'update') {
      desired = parseBody(text, contentType);
    } else {
      const patchType = patchTypeOf(contentType);
      const current = toScale(live);
      const body = patchType === 'apply' ? YAML.parse(text) : JSON.parse(text);
      if (patchType === 'json') desired = applyJsonPatch(current, body);
      else if (patchType === 'strategic') {
        desired = applyStrategicMergePatch(current, body);
      } else desired = applyMergePatch(current, body);
    }
    const replicas = desired?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid(type, name!, [
        {
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(
            replicas,
          )}: must be greater than or equal to 0`,
        },
      ]);
    }
    const sentRv = desired?.metadata?.resourceVersion;
    if (
      verb === 'update' &&
      sentRv &&
      sentRv !== live.metadata.resourceVersion
    ) {
      throw errors.conflict(
        type,
        name!,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    const body = structuredClone(live);
    body.spec.replicas = replicas;
    delete body.metadata.resourceVersion;
    const updated = registry.update(type, namespace, name!, body, {
      manager: manager(req, query),
      dryRun: query.getAll('dryRun').includes('All'),
    });
    sendJson(res, 200, toScale(updated));
  }

  private watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    query: URLSearchParams,
  ) {
    const { type, namespace, name } = route;
    const store = this.cluster.store;
    const labelSelector = parseLabelSelector(
      query.get('labelSelector') ?? undefined,
    );
    const fieldSelector = parseFieldSelector(
      [query.get('fieldSelector'), name ? `metadata.name=${name}` : undefined]
        .filter(Boolean)
        .join(',') || undefined,
      supportedFields(resourceKey(type)),
    );
    const table = wantsTable(req);
    const includeObject = query.get('includeObject') ?? undefined;
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const initialEvents = query.get('sendInitialEvents') === 'true';
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0) || 1800;
    const faults = this.cluster.faults;
    const watches = this.watches;

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    let closed = false;
    const write = (
      eventType: WatchEventType | 'BOOKMARK' | 'ERROR',
      obj: unknown,
    ) => {
      if (closed) return;
      if (faults.watchMode() === 'stall' && eventType !== 'ERROR') return;
      if (faults.blackholeMs('watch', type.resource) > 0) return;
      const object =
        table &&
        (eventType === 'ADDED' ||
          eventType === 'MODIFIED' ||
          eventType === 'DELETED')
          ? toTable(type, [obj as KubeObject], {}, includeObject)
          : obj;
      res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const bookmark = (annotations?: Record<string, string>) =>
      write('BOOKMARK', {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: {
          resourceVersion: String(store.currentRv()),
          ...(annotations ? { annotations } : {}),
        },
      });

    let cancel: (() => void) | undefined;
    const timers: NodeJS.Timeout[] = [];
    // eslint-disable-next-line prefer-const
    let entry: OpenWatch;
    function finish() {
      if (closed) return;
      closed = true;
      cancel?.();
      timers.forEach(t => clearTimeout(t));
      watches.delete(entry);
      if (!res.destroyed) res.end();
    }
    entry = {
      expire: () => {
        write(
          'ERROR',
          errors
            .gone(
              'too old resource version: the watch was expired by the sandbox operator',
            )
            .toStatus(),
        );
        finish();
      },
      drop: () => {
        finish();
        res.destroy();
      },
    };
    req.on('close', finish);
    res.on('close', finish);

    try {
      const fromRv = initialEvents
        ? undefined
        : query.get('resourceVersion') ?? undefined;
      cancel = store.watch(
        {
          resource: type,
          namespace,
          matches: obj =>
            matchesLabels(labelSelector, obj.metadata.labels) &&
            matchesFields(fieldSelector, obj),
          send: (eventType, obj) => write(eventType, obj),
        },
        fromRv,
      );
    } catch (error) {
      if (error instanceof StatusError) {
        write('ERROR', error.toStatus());
        finish();
        return;
      }
      throw error;
    }
    if (initialEvents && bookmarks)
      bookmark({ 'k8s.io/initial-events-end': 'true' });
    this.watches.add(entry);
    if (bookmarks) {
      timers.push(
        setInterval(() => bookmark(), this.cluster.options.bookmarkIntervalMs),
      );
    }
    timers.push(setTimeout(finish, timeoutSeconds * 1000));
    if (faults.watchMode() === 'drop') timers.push(setTimeout(entry.drop, 100));
  }
}

/**
 * What Kubernetes' validation says of a new `spec.ephemeralContainers` list: existing
 * ones unchanged and kept, new ones named, with an image, a name no other container of
 * the pod has, no ports or probes, and a `targetContainerName` naming a container.
 */
function checkEphemeralContainers(live: KubeObject, next: any[]) {
  const causes: { field: string; message: string; reason?: string }[] = [];
  const old: any[] = live.spec?.ephemeralContainers ?? [];
  for (const o of old) {
    const at = next.findIndex(c => c?.name === o.name);
    if (at < 0) {
      causes.push({
        field: 'spec',
        message: `Forbidden: existing ephemeral containers "${o.name}" may not be removed`,
        reason: 'FieldValueForbidden',
      });
    } else if (
      JSON.stringify(sortKeys(next[at])) !== JSON.stringify(sortKeys(o))
    ) {
      causes.push({
        field: `spec.ephemeralContainers[${at}]`,
        message: `Forbidden: existing ephemeral containers "${o.name}" may not be changed`,
        reason: 'FieldValueForbidden',
      });
    }
  }
  const names = new Set(
    [
      ...(live.spec?.initContainers ?? []),
      ...(live.spec?.containers ?? []),
    ].map((c: any) => c.name),
  );
  next.forEach((c: any, i: number) => {
    const field = `spec.ephemeralContainers[${i}]`;
    if (old.some(o => o.name === c?.name)) return;
    if (!c?.name) {
      causes.push({
        field: `${field}.name`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    } else if (names.has(c.name)) {
      causes.push({
        field: `${field}.name`,
        message: `Duplicate value: "${c.name}"`,
        reason: 'FieldValueDuplicate',
      });
    }
    names.add(c?.name);
    if (!c?.image) {
      causes.push({
        field: `${field}.image`,
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    }
    for (const key of [
      'ports',
      'livenessProbe',
      'readinessProbe',
      'startupProbe',
      'lifecycle',
    ]) {
      if (c?.[key] !== undefined) {
        causes.push({
          field: `${field}.${key}`,
          message: 'Forbidden: cannot be set for an Ephemeral Container',
          reason: 'FieldValueForbidden',
        });
      }
    }
    const target = c?.targetContainerName;
    if (
      target &&
      !(live.spec?.containers ?? []).some((x: any) => x.name === target)
    ) {
      causes.push({
        field: `${field}.targetContainerName`,
        message: `Not found: "${target}"`,
        reason: 'FieldValueNotFound',
      });
    }
  });
  return causes;
}

function sortKeys(value: any): any {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map(k => [k, sortKeys(value[k])]),
    );
  }
  return value;
}
