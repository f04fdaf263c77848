import { act } from '@testing-library/react';

/**
 * What xterm.js needs of a browser that jsdom lacks: `matchMedia` (it follows the
 * device pixel ratio), `ResizeObserver` (the terminal fits its box) and a canvas 2D
 * context (only to parse colours; without one it reads hex and rgb() itself, which is
 * what the app's palette gives it). With these, its DOM renderer draws the rows as
 * text, so a test reads what the terminal shows.
 */
export function installTerminalShims() {
  if (!window.matchMedia) {
    window.matchMedia = (query: string) =>
      ({
        matches: false,
        media: query,
        onchange: null,
        addListener() {},
        removeListener() {},
        addEventListener() {},
        removeEventListener() {},
        dispatchEvent: () => false,
      } as unknown as MediaQueryList);
  }
  if (!('ResizeObserver' in window)) {
    (window as { ResizeObserver?: unknown }).ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }
  // jsdom answers null after printing "not implemented"; answer null quietly.
  HTMLCanvasElement.prototype.getContext = (() =>
    null) as typeof HTMLCanvasElement.prototype.getContext;
}

/**
 * A WebSocket the test plays the server of: it records the URL, the subprotocols and
 * every frame the page sends, and `open`, `receive` and `serverClose` act as the
 * backend would. Install with `FakeWebSocket.install()` in `beforeEach`.
 */
export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static sockets: FakeWebSocket[] = [];
  static #original = globalThis.WebSocket;

  static install() {
    FakeWebSocket.sockets = [];
    (globalThis as { WebSocket: unknown }).WebSocket = FakeWebSocket;
  }

  static uninstall() {
    (globalThis as { WebSocket: unknown }).WebSocket = FakeWebSocket.#original;
  }

  /** The socket the page opened last. */
  static last(): FakeWebSocket {
    const socket = FakeWebSocket.sockets[FakeWebSocket.sockets.length - 1];
    if (!socket) throw new Error('the page opened no WebSocket');
    return socket;
  }

  readonly protocols: string[];
  readyState = FakeWebSocket.CONNECTING;
  /** Frames the page sent, parsed. */
  readonly sent: Array<Record<string, unknown>> = [];
  closedWith?: number;
  onopen?: () => void;
  onmessage?: (event: { data: string }) => void;
  onclose?: (event: { code: number }) => void;
  onerror?: () => void;

  constructor(readonly url: string, protocols?: string | string[]) {
    this.protocols = protocols === undefined ? [] : [protocols].flat();
    FakeWebSocket.sockets.push(this);
  }

  send(data: string) {
    if (this.readyState !== FakeWebSocket.OPEN) {
      throw new Error('send on a socket that is not open');
    }
    this.sent.push(JSON.parse(data));
  }

  close(code = 1005) {
    this.closedWith = code;
    this.readyState = FakeWebSocket.CLOSED;
  }

  /** The server accepts the upgrade. */
  open() {
    act(() => {
      this.readyState = FakeWebSocket.OPEN;
      this.onopen?.();
    });
  }

  /** The server sends a frame. */
  receive(frame: object) {
    act(() => this.onmessage?.({ data: JSON.stringify(frame) }));
  }

  /** The server (or the network) closes the connection. */
  serverClose(code = 1000) {
    act(() => {
      this.readyState = FakeWebSocket.CLOSED;
      this.onclose?.({ code });
    });
  }
}
