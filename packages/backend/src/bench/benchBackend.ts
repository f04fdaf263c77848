import fs from 'fs';
import path from 'path';
import {
  BackendProcess,
  startBackendProcess,
  waitFor,
} from '../boot/__testUtils__/startBackendProcess';

/** A timestamped progress line on stdout. */
export function log(message: string) {
  process.stdout.write(
    `[${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
}

/** Resident memory of a process, from /proc. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * The real backend as its own process for a benchmark: app-config.yaml on SQLite in
 * `work`, a static external-access `token` (subject `k2-bench`), the benchmark's
 * catalog file and sandbox clusters, plus any `config` of the benchmark's own.
 */
export function startBenchBackend(options: {
  work: string;
  token: string;
  catalogFile: string;
  clusters: Array<{ name: string; url: string; token: string }>;
  config?: Record<string, unknown>;
  env?: Record<string, string>;
}) {
  return startBackendProcess({
    configs: ['app-config.yaml'],
    override: port => ({
      app: { baseUrl: `http://127.0.0.1:${port}` },
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port },
        database: {
          client: 'better-sqlite3',
          connection: { directory: path.join(options.work, 'sqlite') },
        },
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: options.token, subject: 'k2-bench' },
            },
          ],
        },
      },
      catalog: {
        locations: [{ type: 'file', target: options.catalogFile }],
        processingInterval: { minutes: 30 },
      },
      kubernetes: {
        serviceLocatorMethod: { type: 'multiTenant' },
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: options.clusters.map(c => ({
              name: c.name,
              url: c.url,
              authProvider: 'serviceAccount',
              serviceAccountToken: c.token,
            })),
          },
        ],
      },
      ...options.config,
    }),
    env: options.env,
  });
}

/**
 * The environment that opens the backend's inspector on a free loopback port, so a
 * benchmark can force a full garbage collection before it reads the memory.
 */
export const INSPECTOR_NODE_OPTIONS = {
  NODE_OPTIONS: `${
    process.env.NODE_OPTIONS ?? ''
  } --inspect=127.0.0.1:0`.trim(),
};

/** The backend's V8 inspector: a full garbage collection and the heap's size. */
export interface Inspector {
  collectGarbage(): Promise<void>;
  heapUsed(): Promise<number>;
  close(): void;
}

/** Connects to the inspector of a backend started with {@link INSPECTOR_NODE_OPTIONS}. */
export async function connectInspector(
  backend: BackendProcess,
): Promise<Inspector> {
  const url = await waitFor(
    backend,
    async () =>
      /Debugger listening on (ws:\/\/\S+)/.exec(backend.output())?.[1],
  );
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () =>
      reject(new Error(`cannot reach the backend's inspector at ${url}`)),
    );
  });
  let next = 0;
  const pending = new Map<
    number,
    { resolve(result: any): void; reject(error: Error): void }
  >();
  socket.addEventListener('message', event => {
    const message = JSON.parse(String(event.data));
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.error) call.reject(new Error(message.error.message));
    else call.resolve(message.result);
  });
  const call = (method: string) =>
    new Promise<any>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method }));
    });
  return {
    async collectGarbage() {
      await call('HeapProfiler.collectGarbage');
    },
    async heapUsed() {
      return (await call('Runtime.getHeapUsage')).usedSize;
    },
    close: () => socket.close(),
  };
}
