import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import http from 'http';
import type { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/**
 * Test helpers that drive the server the way developers do: the real `git` client,
 * with its own HOME and no prompts, and plain HTTP.
 */
export async function tempDir(prefix: string) {
  return fs.mkdtemp(path.join(os.tmpdir(), `k2-git-${prefix}-`));
}

/** Runs git in `cwd` with a private HOME; rejects with git's stderr on failure. */
export function gitIn(home: string) {
  return async (cwd: string, ...args: string[]) => {
    try {
      const { stdout } = await execFileAsync('git', args, {
        cwd,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: '',
          GIT_AUTHOR_NAME: 'Alice Example',
          GIT_AUTHOR_EMAIL: 'alice@example.com',
          GIT_COMMITTER_NAME: 'Alice Example',
          GIT_COMMITTER_EMAIL: 'alice@example.com',
        },
      });
      return stdout.trim();
    } catch (error) {
      const e = error as Error & { stderr?: string };
      throw new Error(`git ${args.join(' ')}: ${e.stderr ?? e.message}`);
    }
  };
}

/** A plain HTTP request with a raw path (no normalisation), as a client may send it. */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | number>;
    body?: string;
  },
): Promise<{
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        hostname,
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (options.body !== undefined) request.end(options.body);
    else request.flushHeaders();
  });
}

/** A webhook receiver on loopback recording every request with its raw body. */
export interface Receiver {
  url: string;
  requests: Array<{ headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/git`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** Waits until `condition` holds, failing with `what` after a generous bound. */
export async function eventually(what: string, condition: () => boolean) {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}
