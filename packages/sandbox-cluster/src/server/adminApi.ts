import http from 'http';
import { quantity } from '../api/defaults';
import { StatusError, errors } from '../api/errors';
import type { SandboxCluster } from '../cluster';
import type { ApiServer } from './apiServer';
import { FaultSpec } from './faults';

function send(res: http.ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw errors.badRequest('the request body must be JSON');
  }
}

function positive(value: unknown, field: string, max = 86400) {
  if (typeof value !== 'number' || !(value > 0) || value > max) {
    throw errors.badRequest(
      `${field} must be a number of seconds between 0 and ${max}`,
    );
  }
  return value;
}

function checkFaults(body: any): FaultSpec {
  const spec: FaultSpec = {};
  if (body.errors) {
    const code = body.errors.code ?? 500;
    if (!Number.isInteger(code) || code < 400 || code > 599) {
      throw errors.badRequest(
        'errors.code must be an HTTP error status (400-599)',
      );
    }
    spec.errors = {
      code,
      seconds: positive(body.errors.seconds, 'errors.seconds'),
      verbs: body.errors.verbs,
      resources: body.errors.resources,
      every: body.errors.every,
    };
  }
  if (body.latency) {
    const ms = body.latency.ms;
    if (typeof ms !== 'number' || ms < 0 || ms > 60000) {
      throw errors.badRequest('latency.ms must be between 0 and 60000');
    }
    spec.latency = {
      ms,
      seconds: positive(body.latency.seconds, 'latency.seconds'),
    };
  }
  if (body.watches) {
    if (!['drop', 'stall'].includes(body.watches.mode)) {
      throw errors.badRequest('watches.mode must be "drop" or "stall"');
    }
    spec.watches = {
      mode: body.watches.mode,
      seconds: positive(body.watches.seconds, 'watches.seconds'),
    };
  }
  if (body.blackhole) {
    spec.blackhole = {
      seconds: positive(body.blackhole.seconds, 'blackhole.seconds'),
      verbs: body.blackhole.verbs,
      resources: body.blackhole.resources,
    };
  }
  if (body.continueTokens) {
    const expire = body.continueTokens.expire;
    if (!Number.isInteger(expire) || expire < 1 || expire > 1000) {
      throw errors.badRequest(
        'continueTokens.expire must be a number of list requests between 1 and 1000',
      );
    }
    spec.continueTokens = { expire };
  }
  if (
    !spec.errors &&
    !spec.latency &&
    !spec.watches &&
    !spec.blackhole &&
    !spec.continueTokens
  ) {
    throw errors.badRequest(
      'name at least one fault: errors, latency, watches, blackhole or continueTokens',
    );
  }
  return spec;
}

/**
 * The sandbox's own endpoints under `/sandbox/` (same bearer token as the API):
 * request counters, fault injection, forced watch expiry, stop-and-restart, and
 * steering of simulated usage (`usage`: containers' CPU and memory; `disk`: a node's
 * root filesystem, as its kubelet's Summary API reports it).
 */
export class AdminApi {
  constructor(
    private readonly cluster: SandboxCluster,
    private readonly server: ApiServer,
  ) {}

  async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string[],
    url: URL,
  ) {
    try {
      await this.route(req, res, path.join('/'), req.method ?? 'GET', url);
    } catch (error) {
      const status =
        error instanceof StatusError
          ? error
          : new StatusError(500, 'InternalError', String(error));
      send(res, status.code, status.toStatus());
    }
  }

  private async route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    method: string,
    url: URL,
  ) {
    const cluster = this.cluster;
    switch (`${method} ${path}`) {
      case 'GET stats':
        send(res, 200, {
          cluster: cluster.name,
          resourceVersion: cluster.store.currentRv(),
          oldestWatchableResourceVersion: cluster.store.oldestWatchableRv(),
          objects: cluster.objectCounts(),
          openWatches: this.server.openWatchCount(),
          requests: cluster.counters.snapshot(),
          faults: cluster.faults.describe(),
          memory: process.memoryUsage(),
        });
        return;
      case 'POST stats/reset':
        cluster.counters.reset();
        send(res, 200, { reset: true });
        return;
      case 'GET faults':
        send(res, 200, cluster.faults.describe());
        return;
      case 'POST faults': {
        const spec = checkFaults(await readJson(req));
        cluster.faults.set(spec);
        if (spec.watches?.mode === 'drop') this.server.dropWatches();
        send(res, 200, cluster.faults.describe());
        return;
      }
      case 'DELETE faults':
        cluster.faults.clear();
        send(res, 200, cluster.faults.describe());
        return;
      case 'POST watches/expire': {
        // Like an etcd compaction: every open watch gets 410 Gone, and resuming from any
        // earlier resourceVersion (watch or continue token) gets 410 too.
        cluster.store.compact();
        const open = this.server.openWatchCount();
        this.server.expireWatches();
        send(res, 200, {
          expired: open,
          oldestWatchableResourceVersion: cluster.store.oldestWatchableRv(),
        });
        return;
      }
      case 'POST watches/drop': {
        const open = this.server.openWatchCount();
        this.server.dropWatches();
        send(res, 200, { dropped: open });
        return;
      }
      case 'POST restart': {
        const body = await readJson(req);
        const down =
          body.downSeconds === undefined
            ? 1
            : positive(body.downSeconds, 'downSeconds', 600);
        send(res, 202, { restarting: true, downSeconds: down });
        res.on('finish', () => {
          setTimeout(() => {
            if (body.compact) cluster.store.compact();
            cluster
              .restart(down * 1000)
              .catch(e =>
                process.stderr.write(`sandbox restart failed: ${e}\n`),
              );
          }, 10);
        });
        return;
      }
      case 'GET usage':
        send(res, 200, { steers: cluster.usage.steers() });
        return;
      case 'PUT usage': {
        const body = await readJson(req);
        if (
          typeof body.namespace !== 'string' ||
          typeof body.workload !== 'string'
        ) {
          throw errors.badRequest('namespace and workload are required');
        }
        const cpu = body.cpu === undefined ? undefined : quantity(body.cpu);
        const memory =
          body.memory === undefined ? undefined : quantity(body.memory);
        if (
          (cpu !== undefined && !(cpu >= 0)) ||
          (memory !== undefined && !(memory >= 0))
        ) {
          throw errors.badRequest(
            'cpu and memory must be Kubernetes quantities, e.g. "250m" and "512Mi"',
          );
        }
        cluster.usage.steer(body.namespace, body.workload, { cpu, memory });
        send(res, 200, { steers: cluster.usage.steers() });
        return;
      }
      case 'DELETE usage': {
        const ns = url.searchParams.get('namespace');
        const workload = url.searchParams.get('workload');
        if (!ns || !workload)
          throw errors.badRequest(
            'namespace and workload query parameters are required',
          );
        cluster.usage.steer(ns, workload, undefined);
        send(res, 200, { steers: cluster.usage.steers() });
        return;
      }
      case 'GET disk':
        send(res, 200, { steers: cluster.disks.steers() });
        return;
      case 'PUT disk': {
        const body = await readJson(req);
        const node = body.node;
        if (typeof node !== 'string' || !cluster.nodeFilesystem(node)) {
          throw errors.badRequest('node must name a node of the cluster');
        }
        if ((body.used === undefined) === (body.usedPercent === undefined)) {
          throw errors.badRequest(
            'give one of used (a quantity, e.g. "180Gi") and usedPercent (0-100)',
          );
        }
        if (body.used !== undefined) {
          const usedBytes = quantity(body.used);
          if (!(usedBytes >= 0)) {
            throw errors.badRequest(
              'used must be a Kubernetes quantity, e.g. "180Gi"',
            );
          }
          cluster.disks.steer(node, { usedBytes });
        } else {
          const usedPercent = body.usedPercent;
          if (
            typeof usedPercent !== 'number' ||
            !(usedPercent >= 0 && usedPercent <= 100)
          ) {
            throw errors.badRequest(
              'usedPercent must be a number from 0 to 100',
            );
          }
          cluster.disks.steer(node, { usedPercent });
        }
        send(res, 200, { steers: cluster.disks.steers() });
        return;
      }
      case 'DELETE disk': {
        const node = url.searchParams.get('node');
        if (!node)
          throw errors.badRequest('the node query parameter is required');
        cluster.disks.steer(node, undefined);
        send(res, 200, { steers: cluster.disks.steers() });
        return;
      }
      default:
        throw new StatusError(
          404,
          'NotFound',
          `no sandbox endpoint ${method} /sandbox/${path}`,
        );
    }
  }
}
