import { randomBytes } from 'crypto';
import { promises as fs, realpathSync } from 'fs';
import http, { IncomingMessage, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import path from 'path';
import {
  Repositories,
  RepositoryExistsError,
  RepositoryInputError,
} from '../repos/repositories';
import { deliverPushEvents, RefUpdate } from '../webhooks/delivery';
import { POST_RECEIVE_SCRIPT } from '../webhooks/hookScript';
import { safeEqual } from '../webhooks/signature';
import { readRepositoryFile } from '../repos/files';
import { reply, runHttpBackend } from './httpBackend';
import { isFilesPath, parseFilesPath, parseGitPath } from './paths';

/**
 * How to run a local Git server.
 *
 * @public
 */
export interface GitServerOptions {
  /** Where the bare repositories live (`<root>/<owner>/<name>.git`); created if missing. */
  root: string;
  /** The loopback port; 0 picks a free one. */
  port: number;
  /** The user a push authenticates as (Basic auth). Default `k2`. */
  pushUser?: string;
  /**
   * The push password. Default: read from `<root>/.push-token`, generated there
   * (mode 600) on the first start.
   */
  pushToken?: string;
  /** Push event receivers; none means no webhook is sent. */
  webhookUrls?: string[];
  /** The shared secret push events are signed with; required with webhook URLs. */
  webhookSecret?: string;
  /** Largest git request body (a pushed pack), in bytes. Default 512 MiB. */
  maxPushBytes?: number;
  /** Where log lines go (never a credential). Default: nowhere. */
  log?: (line: string) => void;
}

/**
 * A running local Git server.
 *
 * @public
 */
export interface GitServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  pushUser: string;
  /** Where the push password is kept (when it was generated or read from a file). */
  pushTokenFile?: string;
  /** A git-credential-store file with the push credentials for this URL. */
  credentialsFile: string;
  /** Stops accepting requests, ends running git processes' connections and waits. */
  close(): Promise<void>;
}

const MAX_API_BODY = 64 * 1024;
const DEFAULT_MAX_PUSH = 512 * 1024 * 1024;
const HOOK_PATH = '/internal/post-receive';

/**
 * Starts git's smart-HTTP backend on 127.0.0.1: clone and fetch are open, push needs
 * the push credentials; `POST /api/repos` creates repositories (with the same
 * credentials), `GET /api/repos` lists them and `GET /api/repos/<owner>/<name>/files/<path>`
 * serves one file of a branch (what Backstage's URL reader fetches `catalog-info.yaml`
 * with). Each repository's post-receive hook
 * hands pushed refs back to this process, which sends the push webhooks.
 *
 * @public
 */
export async function startGitServer(
  options: GitServerOptions,
): Promise<GitServer> {
  const log = options.log ?? (() => {});
  const webhookUrls = options.webhookUrls ?? [];
  if (webhookUrls.length > 0 && !options.webhookSecret) {
    throw new Error('webhook URLs need a webhook secret to sign events with');
  }
  for (const url of webhookUrls) {
    const protocol = new URL(url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new Error(`webhook URL ${url} is not http(s)`);
    }
  }
  await fs.mkdir(options.root, { recursive: true });
  const root = realpathSync(options.root);
  const pushUser = options.pushUser ?? 'k2';
  const token = options.pushToken
    ? { value: options.pushToken, file: undefined }
    : await pushTokenFrom(path.join(root, '.push-token'));
  const hookToken = randomBytes(32).toString('hex');
  const maxPushBytes = options.maxPushBytes ?? DEFAULT_MAX_PUSH;
  let url = '';
  const repositories = new Repositories(root, () => url, {
    script: POST_RECEIVE_SCRIPT,
    runner: process.execPath,
  });

  const authorized = (req: IncomingMessage) => {
    const credentials = basicCredentials(req.headers.authorization);
    return (
      credentials !== undefined &&
      safeEqual(credentials.user, pushUser) &&
      safeEqual(credentials.password, token.value)
    );
  };
  const challenge = (res: ServerResponse) =>
    reply(res, 401, 'push needs the K2 Git server credentials', {
      'www-authenticate': 'Basic realm="K2 Git"',
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt >= 0 ? rawUrl.slice(0, queryAt) : rawUrl;
    const query = new URLSearchParams(
      queryAt >= 0 ? rawUrl.slice(queryAt + 1) : '',
    );

    if (rawPath === '/api/repos') {
      if (req.method === 'GET') {
        json(res, 200, { items: await repositories.list() });
        return;
      }
      if (req.method === 'POST') {
        if (!authorized(req)) {
          req.resume();
          challenge(res);
          return;
        }
        const body = await readJson(req, res);
        if (body === undefined) return;
        try {
          const created = await repositories.create(body);
          log(`repository ${created.fullName} created`);
          json(res, 201, created);
        } catch (error) {
          if (error instanceof RepositoryExistsError) {
            json(res, 409, { error: error.message });
          } else if (error instanceof RepositoryInputError) {
            json(res, 400, { error: error.message });
          } else {
            throw error;
          }
        }
        return;
      }
      req.resume();
      reply(res, 405, 'GET or POST', { allow: 'GET, POST' });
      return;
    }

    if (isFilesPath(rawPath)) {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        reply(res, 405, 'GET', { allow: 'GET, HEAD' });
        return;
      }
      const file = parseFilesPath(rawPath, query);
      if (file.kind === 'invalid') {
        reply(res, 400, file.message);
        return;
      }
      if (
        file.kind === 'unknown' ||
        !(await repositories.exists(file.owner, file.name))
      ) {
        reply(res, 404, 'repository not found');
        return;
      }
      const found = await readRepositoryFile(
        repositories.directory(file.owner, file.name)!,
        file.ref,
        file.path,
      );
      if (found.kind !== 'file') {
        reply(res, found.kind === 'too-large' ? 400 : 404, found.message);
        return;
      }
      const etag = `"${found.oid}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': found.content.length,
        etag,
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : found.content);
      return;
    }

    if (rawPath === HOOK_PATH && req.method === 'POST') {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !safeEqual(bearer, hookToken)) {
        req.resume();
        reply(res, 401, 'not a hook of this server');
        return;
      }
      const body = await readJson(req, res);
      if (body === undefined) return;
      const report = hookReport(body, repositories);
      if (!report) {
        json(res, 400, {
          error: 'not a post-receive report of a repository here',
        });
        return;
      }
      json(res, 202, { updates: report.updates.length });
      log(
        `push to ${report.owner}/${report.name} by ${
          report.pusher || 'unknown'
        }: ${report.updates.map(u => u.ref).join(', ')}`,
      );
      if (webhookUrls.length === 0) return;
      const repository = repositories.info(
        report.owner,
        report.name,
        await repositories.description(report.owner, report.name),
      );
      void deliverPushEvents({
        targets: { urls: webhookUrls, secret: options.webhookSecret! },
        gitDir: repositories.directory(report.owner, report.name)!,
        repository,
        updates: report.updates,
        pusher: report.pusher,
        log,
      });
      return;
    }

    const parsed = parseGitPath(rawPath, query, req.method ?? 'GET');
    if (parsed.kind === 'invalid') {
      req.resume();
      reply(res, 400, parsed.message);
      return;
    }
    if (parsed.kind === 'unknown') {
      req.resume();
      reply(res, 404, 'not found');
      return;
    }
    if (!(await repositories.exists(parsed.owner, parsed.name))) {
      req.resume();
      reply(res, 404, `repository ${parsed.owner}/${parsed.name} not found`);
      return;
    }
    if (parsed.service === 'git-receive-pack' && !authorized(req)) {
      req.resume();
      challenge(res);
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxPushBytes) {
      req.resume();
      reply(res, 413, `the request body is over ${maxPushBytes} bytes`, {
        connection: 'close',
      });
      return;
    }
    runHttpBackend(req, res, {
      projectRoot: root,
      pathInfo: parsed.pathInfo,
      queryString: parsed.queryString,
      remoteUser: parsed.service === 'git-receive-pack' ? pushUser : undefined,
      maxBodyBytes: maxPushBytes,
      env: {
        K2_GIT_HOOK_URL: `${url}${HOOK_PATH}`,
        K2_GIT_HOOK_TOKEN: hookToken,
      },
      log,
    });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(error => {
      log(
        `${req.method} ${req.url}: ${
          error instanceof Error ? error.message : error
        }`,
      );
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.requestTimeout = 0; // a big clone or push may take long
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  const credentialsFile = path.join(root, '.git-credentials');
  const credentialsUrl = new URL(url);
  credentialsUrl.username = pushUser;
  credentialsUrl.password = token.value;
  await fs.writeFile(
    credentialsFile,
    `${credentialsUrl.href.replace(/\/$/, '')}\n`,
    {
      mode: 0o600,
    },
  );
  const hooks = await repositories.installHooks();
  log(
    `serving ${hooks} repositories from ${root}; push webhooks to ${
      webhookUrls.length > 0 ? webhookUrls.join(', ') : 'none'
    }`,
  );

  return {
    url,
    port,
    pushUser,
    pushTokenFile: token.file,
    credentialsFile,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function pushTokenFrom(file: string) {
  const existing = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return { value: existing, file };
  const value = randomBytes(24).toString('hex');
  await fs.writeFile(file, `${value}\n`, { mode: 0o600 });
  return { value, file };
}

function basicCredentials(header: string | undefined) {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The body as JSON, or undefined after answering 413/415/400. */
async function readJson(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<unknown | undefined> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume();
    json(res, 415, { error: 'send the body as application/json' });
    return undefined;
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_API_BODY) {
    req.resume();
    json(res, 413, { error: `the body is over ${MAX_API_BODY} bytes` });
    return undefined;
  }
  const chunks: Buffer[] = [];
  const complete = await new Promise<boolean>((resolve, reject) => {
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_API_BODY) {
        chunks.push(chunk);
        return;
      }
      // Answer, then drop the connection rather than read the rest of it.
      req.off('data', onData);
      req.pause();
      res.setHeader('connection', 'close');
      json(res, 413, { error: `the body is over ${MAX_API_BODY} bytes` });
      res.on('finish', () => req.destroy());
      resolve(false);
    };
    req.on('data', onData);
    req.on('end', () => resolve(true));
    req.on('error', reject);
  });
  if (!complete) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    json(res, 400, { error: 'the body is not valid JSON' });
    return undefined;
  }
}

function hookReport(body: unknown, repositories: Repositories) {
  if (typeof body !== 'object' || body === null) return undefined;
  const { gitDir, pusher, updates } = body as Record<string, unknown>;
  if (typeof gitDir !== 'string' || !Array.isArray(updates)) return undefined;
  const repository = repositories.fromDirectory(gitDir);
  if (!repository) return undefined;
  const valid: RefUpdate[] = [];
  for (const update of updates) {
    const { before, after, ref } = (update ?? {}) as Record<string, unknown>;
    if (
      typeof before === 'string' &&
      typeof after === 'string' &&
      typeof ref === 'string' &&
      /^[0-9a-f]{40,64}$/.test(before) &&
      /^[0-9a-f]{40,64}$/.test(after) &&
      ref.startsWith('refs/')
    ) {
      valid.push({ before, after, ref });
    }
  }
  return {
    ...repository,
    pusher: typeof pusher === 'string' ? pusher : '',
    updates: valid,
  };
}
