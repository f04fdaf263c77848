import fs from 'fs';
import path from 'path';
import { startBackendProcess } from '../boot/__testUtils__/startBackendProcess';

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
