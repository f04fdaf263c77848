import { ChildProcess, spawn, spawnSync } from 'child_process';
import fs from 'fs';
import http from 'http';
import net from 'net';
import os from 'os';
import path from 'path';

export { freePort } from '@internal/sandbox-cluster';

/**
 * The real nginx the tests drive (Debian's `nginx` package): K2_NGINX_BIN, else
 * /usr/sbin/nginx, else `nginx` on PATH. `./k2 test` sets K2_REQUIRE_NGINX=1 once it
 * has the package, and then a missing binary fails the suite; run by hand without it,
 * the tests that need it are reported as skipped, never passed.
 */
function findNginx(): string | undefined {
  const candidates = [process.env.K2_NGINX_BIN, '/usr/sbin/nginx'];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], {
    encoding: 'utf8',
  });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export const NGINX = findNginx();
if (!NGINX && process.env.K2_REQUIRE_NGINX === '1') {
  throw new Error(
    'nginx is missing and K2_REQUIRE_NGINX=1 says the agent must be tested against it; install it (apt-get install -y nginx)',
  );
}

/** Polls `check` until it returns a value other than undefined, or fails. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${
          last ? ` (last error: ${(last as Error).message})` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, 50));
  }
}

/** A tiny upstream: answers every request with `name`. */
export async function startUpstream(name: string) {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(name);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GET http://127.0.0.1:port/ with a Host header, as curl -H 'Host: …' would. */
export function request(
  port: number,
  host: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
  });
}

/**
 * A real nginx master on loopback in a temp prefix, as a host runs it: nginx.conf
 * includes `k2/k2.conf` in its http block and keeps pid, logs and temp files inside
 * the prefix, so no root path is touched.
 */
export class NginxHost {
  readonly prefix: string;
  readonly confDir: string;
  readonly nginxConf: string;
  private master?: ChildProcess;

  constructor() {
    this.prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-nginx-agent-'));
    this.confDir = path.join(this.prefix, 'conf');
    this.nginxConf = path.join(this.confDir, 'nginx.conf');
    fs.mkdirSync(this.confDir);
    fs.mkdirSync(path.join(this.prefix, 'logs'));
    fs.mkdirSync(path.join(this.prefix, 'tmp'));
    // Something nginx.conf includes relatively besides the bundle, as mime.types is.
    fs.writeFileSync(
      path.join(this.confDir, 'host-defaults.conf'),
      'default_type text/plain;\n',
    );
    fs.writeFileSync(
      this.nginxConf,
      [
        'daemon off;',
        'worker_processes 1;',
        'pid logs/nginx.pid;',
        'error_log logs/error.log warn;',
        'events { worker_connections 128; }',
        'http {',
        '    access_log off;',
        '    include host-defaults.conf;',
        '    client_body_temp_path tmp/client;',
        '    proxy_temp_path tmp/proxy;',
        '    fastcgi_temp_path tmp/fastcgi;',
        '    uwsgi_temp_path tmp/uwsgi;',
        '    scgi_temp_path tmp/scgi;',
        '    include k2/k2.conf;',
        '}',
        '',
      ].join('\n'),
    );
  }

  /** The flags an agent for this host gets. */
  get agentArgs(): string[] {
    return [
      '--nginx',
      NGINX!,
      '--nginx-conf',
      this.nginxConf,
      '--nginx-prefix',
      this.prefix,
    ];
  }

  /** Starts the master; `k2` must exist (the agent creates it on its first start). */
  async start() {
    const master = spawn(NGINX!, ['-p', this.prefix, '-c', this.nginxConf], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.master = master;
    let stderr = '';
    master.stderr!.on('data', d => (stderr += d));
    const pidFile = path.join(this.prefix, 'logs', 'nginx.pid');
    await eventually(() => {
      if (master.exitCode !== null) {
        throw new Error(`nginx exited: ${stderr}`);
      }
      return fs.existsSync(pidFile) ? true : undefined;
    }, 'nginx to start');
  }

  /** The file Nginx reads as `k2/<rel>`, through the live link. */
  readLive(rel: string): string {
    return fs.readFileSync(path.join(this.confDir, 'k2', rel), 'utf8');
  }

  /** Nginx's error log so far (a failed bind or reload says why there). */
  errorLog(): string {
    const file = path.join(this.prefix, 'logs', 'error.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  async stop() {
    const master = this.master;
    if (master && master.exitCode === null) {
      const exited = new Promise(resolve => master.once('exit', resolve));
      master.kill('SIGQUIT');
      await exited;
    }
    fs.rmSync(this.prefix, { recursive: true, force: true });
  }
}

/**
 * Requests through Nginx without pause from `concurrency` loops (a new connection
 * each, as distinct clients), until `stop()`: how many were answered 200, and what
 * went wrong with the others.
 */
export function startLoad(port: number, host: string, concurrency = 4) {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const bodies = new Set<string>();
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const res = await request(port, host);
        if (res.status === 200) {
          ok++;
          bodies.add(res.body);
        } else {
          failures.push(`status ${res.status}`);
        }
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failures, bodies: [...bodies].sort() };
    },
  };
}
