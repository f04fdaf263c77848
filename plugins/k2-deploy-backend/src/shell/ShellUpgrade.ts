import { DiscoveryService, LoggerService } from '@backstage/backend-plugin-api';
import express from 'express';
import http from 'http';
import { Duplex } from 'stream';
import { WebSocketServer } from 'ws';
import { ticketHash } from './ShellService';
import {
  MAX_STDIN_BYTES,
  SHELL_PROTOCOL,
  ShellSessionRunner,
} from './ShellSessionRunner';
import { ShellSessionStore } from './ShellSessionStore';

const TICKET_PROTOCOL = 'k2-ticket.';
const STREAM_PATH = /^\/shell-sessions\/([0-9a-f-]{36})\/stream$/;

/** The offered subprotocols of a WebSocket handshake. */
function offeredProtocols(req: http.IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map(p => p.trim())
    .filter(Boolean);
}

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    () => socket.destroy(),
  );
}

/**
 * The shell sessions' WebSocket endpoint, `<plugin base>/shell-sessions/<id>/stream`.
 * The browser authenticates with the session's single-use ticket, offered as the
 * `k2-ticket.<ticket>` subprotocol beside `k2-shell.v1`: redeemed before the upgrade,
 * so a missing, unknown, used or expired ticket (or one of another session) is a 401
 * and nothing is opened. The ticket never appears in a URL or a log line.
 *
 * As @backstage/plugin-signals-backend does, the `upgrade` listener is attached to the
 * HTTP server the first request through the plugin's router arrives on; an upgrade
 * that reaches the router as a plain request (Node hands upgrades to `request` while
 * no `upgrade` listener exists) is taken over from there. Upgrades to other paths are
 * left to their owners.
 */
export class ShellUpgrade {
  readonly #store: ShellSessionStore;
  readonly #runner: ShellSessionRunner;
  readonly #discovery: DiscoveryService;
  readonly #logger: LoggerService;
  readonly #wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // A stdin frame's JSON: its text escaped at most 6 bytes per byte, and the frame.
    maxPayload: MAX_STDIN_BYTES * 6 + 64,
    handleProtocols: offered =>
      offered.has(SHELL_PROTOCOL) ? SHELL_PROTOCOL : false,
  });
  readonly #servers = new WeakSet<object>();
  #basePath?: Promise<string>;

  constructor(options: {
    store: ShellSessionStore;
    runner: ShellSessionRunner;
    discovery: DiscoveryService;
    logger: LoggerService;
  }) {
    this.#store = options.store;
    this.#runner = options.runner;
    this.#discovery = options.discovery;
    this.#logger = options.logger;
    this.#wss.on('error', error =>
      this.#logger.error(`Shell WebSocket server error: ${error}`),
    );
  }

  /**
   * Middleware for the plugin's router, before the validated API: attaches the
   * `upgrade` listener, and takes over the stream's upgrade requests that arrive as
   * plain requests.
   */
  middleware(): express.RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as unknown as { server?: http.Server }).server;
      if (server && !this.#servers.has(server)) {
        this.#servers.add(server);
        server.on('upgrade', (request, socket, head) =>
          this.#upgrade(request, socket, head, false),
        );
      }
      if (
        req.headers.upgrade?.toLowerCase() === 'websocket' &&
        STREAM_PATH.test(req.path)
      ) {
        this.#upgrade(req, req.socket, Buffer.alloc(0), true);
        return;
      }
      next();
    };
  }

  /** The plugin's base path, e.g. `/api/k2-deploy`. */
  #base(): Promise<string> {
    this.#basePath ??= this.#discovery
      .getBaseUrl('k2-deploy')
      .then(url => new URL(url).pathname.replace(/\/+$/, ''));
    return this.#basePath;
  }

  async #upgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    routed: boolean,
  ) {
    let id: string | undefined;
    if (routed) {
      id = STREAM_PATH.exec((req as express.Request).path)?.[1];
    } else {
      const base = await this.#base();
      const path = (req.url ?? '').split('?')[0];
      if (!path.startsWith(`${base}/`)) return;
      id = STREAM_PATH.exec(path.slice(base.length))?.[1];
      // Another plugin's upgrade.
      if (!id) return;
    }
    if (!id) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    try {
      const offered = offeredProtocols(req);
      const ticket = offered
        .find(p => p.startsWith(TICKET_PROTOCOL))
        ?.slice(TICKET_PROTOCOL.length);
      if (!offered.includes(SHELL_PROTOCOL) || !ticket) {
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      const started = await this.#store.redeem(
        id,
        ticketHash(ticket),
        new Date(),
      );
      if (!started) {
        this.#logger.warn(
          `Refused a shell WebSocket for session ${id}: no valid ticket`,
        );
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, ws => {
        this.#runner
          .run(ws, started.session, started.size)
          .catch(error =>
            this.#logger.error(`Shell session ${id} failed: ${error}`),
          );
      });
    } catch (error) {
      this.#logger.error(`Could not open shell session ${id}: ${error}`);
      refuse(socket, 500, 'Internal Server Error');
    }
  }
}
