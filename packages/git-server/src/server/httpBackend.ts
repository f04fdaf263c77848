import { spawn } from 'child_process';
import type { IncomingMessage, ServerResponse } from 'http';
import { Transform, pipeline } from 'stream';
import { createGunzip } from 'zlib';

/** What one smart-HTTP request runs `git http-backend` with. */
export interface HttpBackendRequest {
  projectRoot: string;
  /** `/<owner>/<name>.git/<endpoint>`, already checked. */
  pathInfo: string;
  queryString: string;
  /** Set for an authenticated push; git enables receive-pack only then. */
  remoteUser?: string;
  /** Largest request body accepted (after gzip is undone), in bytes. */
  maxBodyBytes: number;
  /** Extra environment for the child (and the hooks it runs). */
  env: Record<string, string>;
  log: (line: string) => void;
}

/** The request body grew past the limit and past what is read after it. */
class BodyTooLargeError extends Error {}

/**
 * How much more of a body over the limit is read and thrown away, as a multiple of the
 * limit: a client that gets its answer after sending (git's HTTP client) sees the
 * refusal instead of a reset, which can leave `git push` hanging for good. Past it,
 * the connection is cut.
 */
const DISCARD_FACTOR = 8;

/**
 * Runs git's own smart-HTTP backend as a CGI program for one request, streaming both
 * ways: the request body (gunzipped when git sent it with `Content-Encoding: gzip`) is
 * piped into the child's stdin, and its stdout, after the CGI header block, straight
 * into the response. Packs are never held in memory. A body that grows past
 * `maxBodyBytes` is not passed on past the limit (the child refuses the incomplete
 * push; 413 when it answered nothing); the rest of it is read and dropped, up to a
 * bound, past which the connection is cut.
 */
export function runHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpBackendRequest,
) {
  const { log } = options;
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding !== '' && encoding !== 'gzip' && encoding !== 'identity') {
    reply(res, 415, `content encoding ${encoding} is not supported`);
    req.resume();
    return;
  }
  const child = spawn('git', ['http-backend'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      ...options.env,
      GIT_PROJECT_ROOT: options.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: options.pathInfo,
      QUERY_STRING: options.queryString,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(options.remoteUser ? { REMOTE_USER: options.remoteUser } : {}),
      // No CONTENT_LENGTH: http-backend then reads the body to its end, which is what
      // a gunzipped or chunked body needs.
      // Protocol v2 is asked for in this header; http-backend reads it the CGI way.
      ...(req.headers['git-protocol']
        ? { HTTP_GIT_PROTOCOL: String(req.headers['git-protocol']) }
        : {}),
    },
  });

  let stopped = false;
  const stop = () => {
    if (!stopped && child.exitCode === null) {
      stopped = true;
      child.kill('SIGTERM');
    }
  };
  res.on('close', () => {
    if (!res.writableFinished) stop();
  });

  let received = 0;
  let over = false;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (over) {
        // The rest of a refused body is read and dropped, up to a bound.
        callback(
          received > options.maxBodyBytes * (1 + DISCARD_FACTOR)
            ? new BodyTooLargeError()
            : undefined,
        );
        return;
      }
      if (received > options.maxBodyBytes) {
        over = true;
        log(
          `${options.pathInfo}: request body over ${options.maxBodyBytes} bytes refused`,
        );
        // The child gets nothing more: at the end of the body its input ends, the
        // pack it read is incomplete and git refuses the push in its own answer, which
        // the client reads once it has sent everything. (Stopping the child or cutting
        // the connection instead makes git's HTTP client stop sending mid-push, and
        // `git push` can then hang for good.)
        callback();
        return;
      }
      callback(null, chunk);
    },
  });
  if (encoding === 'gzip') {
    pipeline(req, createGunzip(), limit, child.stdin, done);
  } else {
    pipeline(req, limit, child.stdin, done);
  }
  function done(error?: NodeJS.ErrnoException | null) {
    if (!error) return;
    // Over the limit and then past what is read after it: the connection is cut.
    if (error instanceof BodyTooLargeError) {
      stop();
      return;
    }
    // EPIPE: the child ended before reading everything (it answers with an error).
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      log(`${options.pathInfo}: request body: ${error.message}`);
      stop();
      if (!res.headersSent)
        reply(res, 400, 'the request body could not be read');
    }
  }

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line.trim())
        log(`git http-backend ${options.pathInfo}: ${line.trim()}`);
    }
  });

  // The CGI header block, then the body streamed as it comes.
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (!end) {
      if (head.length > 64 * 1024) {
        child.stdout.off('data', onData);
        stop();
        if (!res.headersSent)
          reply(res, 502, 'git http-backend sent no headers');
      }
      return;
    }
    child.stdout.off('data', onData);
    if (res.headersSent) {
      child.stdout.resume();
      return;
    }
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.at));
    res.writeHead(status, headers);
    const rest = head.subarray(end.at + end.length);
    if (rest.length > 0) res.write(rest);
    child.stdout.pipe(res);
  };
  child.stdout.on('data', onData);

  child.on('error', error => {
    log(`git http-backend could not run: ${error.message}`);
    if (!res.headersSent) reply(res, 500, 'git http-backend could not run');
  });
  child.on('close', code => {
    if (!res.headersSent && over) {
      reply(res, 413, `the request body is over ${options.maxBodyBytes} bytes`);
    } else if (!res.headersSent) {
      reply(res, 500, `git http-backend ended (${code}) without an answer`);
    } else if (!res.writableEnded) {
      res.end();
    }
  });
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(block: Buffer) {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of block.toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      status = Number.parseInt(value, 10) || 500;
    } else {
      headers[name] = value;
    }
  }
  return { status, headers };
}

/** A plain-text answer with a message. */
export function reply(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  const body = `${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
