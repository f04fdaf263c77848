import WebSocket from 'ws';

/** The channel protocols K2 offers for exec and attach, in order of preference. */
export const REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
/** v5 only: `[255, channel]` closes that channel. */
const CLOSE = 255;

/** How a remote command ended. */
export interface K2RemoteCommandEnd {
  /**
   * The process's exit code, when the cluster reported one (0 for success). Absent
   * when the stream ended without a status: the connection dropped or K2 closed it.
   */
  exitCode?: number;
  /** The cluster's message for a failure, or why the stream ended without a status. */
  message?: string;
}

/** What the cluster's final `Status` on the error channel says. */
function endOf(text: string): K2RemoteCommandEnd {
  let status: any;
  try {
    status = JSON.parse(text);
  } catch {
    return { message: text.trim() || 'the cluster sent an unreadable status' };
  }
  if (status?.status === 'Success') return { exitCode: 0 };
  const cause = (status?.details?.causes ?? []).find(
    (c: any) => c?.reason === 'ExitCode',
  );
  const code = Number(cause?.message);
  if (status?.reason === 'NonZeroExitCode' && Number.isInteger(code)) {
    return { exitCode: code, message: status.message };
  }
  return { message: String(status?.message ?? 'the command failed') };
}

/**
 * One exec or attach session with a container, over the Kubernetes channel protocol
 * (v5, or v4 when the cluster does not offer v5): stdin, stdout and stderr, the final
 * status and terminal resizes. Invariant: `ended` resolves exactly once, after the last
 * output was delivered, whether the process ended, the connection dropped or
 * {@link K2RemoteCommand.close} was called.
 */
export class K2RemoteCommand {
  readonly #ws: WebSocket;
  readonly ended: Promise<K2RemoteCommandEnd>;
  #end?: K2RemoteCommandEnd;

  constructor(
    ws: WebSocket,
    onOutput: (chunk: Buffer, stream: 'stdout' | 'stderr') => void,
  ) {
    this.#ws = ws;
    this.ended = new Promise(resolve => {
      let error: string | undefined;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const bytes = isBinary ? data : Buffer.from(data.toString(), 'utf8');
        if (bytes.length === 0) return;
        const payload = bytes.subarray(1);
        switch (bytes[0]) {
          case STDOUT:
            if (payload.length) onOutput(payload, 'stdout');
            break;
          case STDERR:
            if (payload.length) onOutput(payload, 'stderr');
            break;
          case ERROR:
            this.#end ??= endOf(payload.toString('utf8'));
            break;
          default:
          // v5's close of a channel, or a channel K2 does not read.
        }
      });
      ws.on('error', e => {
        error = e.message;
      });
      ws.on('close', () => {
        resolve(
          this.#end ?? {
            message: error
              ? `the connection to the cluster failed: ${error}`
              : 'the connection to the cluster closed',
          },
        );
      });
    });
  }

  /** The channel protocol the cluster chose. */
  get protocol(): string {
    return this.#ws.protocol;
  }

  #send(channel: number, data: Buffer) {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.send(Buffer.concat([Buffer.from([channel]), data]));
  }

  /** Writes to the process's stdin. */
  write(data: string | Buffer) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length) this.#send(STDIN, bytes);
  }

  /** Tells the terminal its new size (with `tty`). */
  resize(cols: number, rows: number) {
    this.#send(
      RESIZE,
      Buffer.from(JSON.stringify({ Width: cols, Height: rows })),
    );
  }

  /**
   * Ends the process's input. v5 closes the stdin channel and the process runs to its
   * end; v4 cannot, so the connection closes.
   */
  closeStdin() {
    if (this.#ws.protocol === 'v5.channel.k8s.io') {
      this.#send(CLOSE, Buffer.from([STDIN]));
    } else {
      this.close();
    }
  }

  /** Closes the connection; the cluster ends an exec's process when it sees that. */
  close() {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.#ws.close(1000);
    // A cluster that does not answer the close frame is cut off.
    setTimeout(() => this.#ws.terminate(), 2_000).unref();
  }
}
