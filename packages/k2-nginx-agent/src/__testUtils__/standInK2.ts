import { createHash } from 'crypto';
import { EventEmitter } from 'events';
import http from 'http';
import net from 'net';

export interface StandInReport {
  cluster: string;
  host: string;
  version: string;
  ok: boolean;
  error?: string;
}

export interface StandInPull {
  after: string | null;
  authorization: string | undefined;
  status: number;
}

/**
 * A small HTTP server answering K2's two agent endpoints by the contract, for what the
 * real backend cannot be made to do: go down, send a wrong hash, quote the token in an
 * error, refuse a well-formed report, or answer a long poll after `holdMs` instead of
 * 25 s. It computes the hash on
 * its own, from the contract's words: SHA-256 over the files in path order, each path,
 * NUL, content, NUL.
 */
export class StandInK2 {
  readonly reports: StandInReport[] = [];
  readonly pulls: StandInPull[] = [];
  /** Answer the next pulls with this status and error message instead. */
  failNext?: { count: number; status: number; message: string };
  /** Answer the next reports with this status and error message instead. */
  failReports?: { count: number; status: number; message: string };
  /** Reports answered with `failReports`. */
  readonly refusedReports: StandInReport[] = [];
  private current?: Record<string, unknown>;
  private readonly changes = new EventEmitter();
  private server?: http.Server;
  port = 0;

  constructor(
    private readonly options: {
      cluster: string;
      hosts: string[];
      token: string;
      holdMs: number;
    },
  ) {
    this.changes.setMaxListeners(100);
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (a free one the first time, the same one after a restart). */
  async start(port = this.port) {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>(resolve =>
      server.listen(port, '127.0.0.1', resolve),
    );
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** K2 goes down: the port refuses connections, open long polls are cut. */
  async stop() {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }

  /** Publishes a new version of the cluster's bundle with a correct hash. */
  publish(version: string, files: Record<string, string>) {
    const list = Object.entries(files).map(([path, content]) => ({
      path,
      content,
    }));
    const hash = createHash('sha256');
    for (const f of [...list].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      hash.update(`${f.path}\0${f.content}\0`, 'utf8');
    }
    this.publishRaw({
      cluster: this.options.cluster,
      version,
      hash: `sha256:${hash.digest('hex')}`,
      files: list,
    });
  }

  /** Publishes `body` as it is, e.g. with a hash that does not match its files. */
  publishRaw(body: Record<string, unknown>) {
    this.current = body;
    this.changes.emit('change');
  }

  /** The first report matching `match`, waiting for it. */
  async waitForReport(
    match: (r: StandInReport) => boolean,
    timeoutMs = 20_000,
  ): Promise<StandInReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching report within ${timeoutMs} ms; reports: ${JSON.stringify(
            this.reports,
          )}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  private refuse(res: http.ServerResponse, status: number, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { name: 'Error', message } }));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const authorization = req.headers.authorization;
    if (url.pathname === '/api/k2-traffic/agent/v1/bundle') {
      const pull: StandInPull = {
        after: url.searchParams.get('after'),
        authorization,
        status: 0,
      };
      this.pulls.push(pull);
      const answer = (status: number, message = '') => {
        pull.status = status;
        if (status === 204) {
          res.writeHead(204).end();
        } else if (status === 200) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.current));
        } else {
          this.refuse(res, status, message);
        }
      };
      if (this.failNext && this.failNext.count > 0) {
        this.failNext.count--;
        answer(this.failNext.status, this.failNext.message);
        return;
      }
      if (authorization !== `Bearer ${this.options.token}`) {
        answer(401, 'wrong token');
        return;
      }
      if (url.searchParams.get('cluster') !== this.options.cluster) {
        answer(404, 'unknown cluster');
        return;
      }
      if (!this.options.hosts.includes(url.searchParams.get('host') ?? '')) {
        answer(403, 'unknown host');
        return;
      }
      const changed = () =>
        this.current !== undefined && this.current.version !== pull.after;
      if (changed()) {
        answer(200);
        return;
      }
      let timer: NodeJS.Timeout | undefined = undefined;
      const onChange = () => {
        if (!changed()) return;
        clearTimeout(timer);
        this.changes.off('change', onChange);
        answer(200);
      };
      timer = setTimeout(() => {
        this.changes.off('change', onChange);
        answer(204);
      }, this.options.holdMs);
      this.changes.on('change', onChange);
      res.on('close', () => {
        clearTimeout(timer);
        this.changes.off('change', onChange);
      });
      return;
    }
    if (
      url.pathname === '/api/k2-traffic/agent/v1/report' &&
      req.method === 'POST'
    ) {
      if (authorization !== `Bearer ${this.options.token}`) {
        this.refuse(res, 401, 'wrong token');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const report = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (this.failReports && this.failReports.count > 0) {
          this.failReports.count--;
          this.refusedReports.push(report);
          this.refuse(res, this.failReports.status, this.failReports.message);
          return;
        }
        this.reports.push(report);
        res.writeHead(204).end();
      });
      return;
    }
    this.refuse(res, 404, 'not found');
  }
}
