import http from 'http';
import { Duplex } from 'stream';
import { WebSocket, WebSocketServer } from 'ws';
import { errors } from '../api/errors';
import { Registry } from '../api/registry';
import { KubeObject } from '../api/types';
import {
  ContainerView,
  SimulatedShell,
  isProgram,
  isShell,
  mainCommand,
} from './shell';

/** The channel protocols served, in order of preference. */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
/** v5 only: `[255, channel]` closes that channel (stdin's end of input). */
const CLOSE = 255;

/** The pod, container and options one exec or attach request names, once checked. */
export interface StreamTarget {
  kind: 'exec' | 'attach';
  pod: KubeObject;
  container: any;
  /** The container whose processes an ephemeral container shares. */
  target?: any;
  ephemeral: boolean;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const flag = (query: URLSearchParams, name: string) =>
  ['true', '1'].includes(query.get(name) ?? '');

/** Called when the main process of an ephemeral container ends. */
export type ExitListener = (
  pod: KubeObject,
  container: string,
  code: number,
) => void;

/**
 * Serves the `exec` and `attach` pod subresources over WebSocket with the Kubernetes
 * channel protocols (v4 and v5): each message's first byte is its channel (0 stdin, 1
 * stdout, 2 stderr, 3 error: the final `Status`, 4 resize); v5 adds 255 to close a
 * channel. Commands run in a {@link SimulatedShell} over the container's
 * {@link ContainerView}. Invariant: every session ends with exactly one status on
 * channel 3, then a normal close.
 */
export class RemoteCommandServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: offered =>
      CHANNEL_PROTOCOLS.find(p => offered.has(p)) ?? false,
  });
  /** The shell each attachable container runs as its main process, by pod uid/container. */
  private readonly mainShells = new Map<string, SimulatedShell>();
  /** How to end each open session, by pod uid. */
  private readonly sessions = new Map<string, Set<(code: number) => void>>();

  constructor(
    private readonly registry: Registry,
    private readonly onExit: ExitListener,
  ) {}

  /**
   * Checks an exec or attach request as the API server and kubelet do, before any
   * upgrade: 404 for an unknown pod, 400 for an unknown or not running container.
   */
  target(
    kind: 'exec' | 'attach',
    namespace: string,
    name: string,
    query: URLSearchParams,
  ): StreamTarget {
    const pods = this.registry.typeOf('', 'pods');
    const pod = this.registry.get(pods, namespace, name);
    const containers: any[] = pod.spec?.containers ?? [];
    const ephemerals: any[] = pod.spec?.ephemeralContainers ?? [];
    let containerName = query.get('container') ?? '';
    if (!containerName) {
      if (containers.length !== 1) {
        throw errors.badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers
            .map(c => c.name)
            .join(' ')}]`,
        );
      }
      containerName = containers[0].name;
    }
    const all = [...(pod.spec?.initContainers ?? []), ...containers];
    const ephemeral = ephemerals.find(c => c.name === containerName);
    const container = all.find(c => c.name === containerName) ?? ephemeral;
    if (!container) {
      throw errors.badRequest(
        `container ${containerName} is not valid for pod ${name}`,
      );
    }
    if (!pod.spec?.nodeName) {
      throw errors.badRequest(`pod ${name} does not have a host assigned`);
    }
    const statuses: any[] = ephemeral
      ? pod.status?.ephemeralContainerStatuses ?? []
      : [
          ...(pod.status?.initContainerStatuses ?? []),
          ...(pod.status?.containerStatuses ?? []),
        ];
    const state = statuses.find(s => s.name === containerName)?.state ?? {};
    if (!state.running) {
      const detail = state.terminated
        ? `terminated (${state.terminated.reason ?? 'Error'})`
        : `waiting to start: ${state.waiting?.reason ?? 'ContainerCreating'}`;
      throw errors.badRequest(
        `container "${containerName}" in pod "${name}" is not running: ${detail}`,
      );
    }
    const command = query.getAll('command');
    if (kind === 'exec' && command.length === 0) {
      throw errors.badRequest(
        'you must specify at least one command for the container',
      );
    }
    const tty = flag(query, 'tty');
    const stdin = flag(query, 'stdin');
    const stdout = flag(query, 'stdout');
    // As the kubelet does: with a TTY, stderr is merged into stdout.
    const stderr = flag(query, 'stderr') && !tty;
    if (!stdin && !stdout && !flag(query, 'stderr')) {
      throw errors.badRequest(
        'you must specify at least 1 of stdin, stdout, stderr',
      );
    }
    const target = ephemeral?.targetContainerName
      ? containers.find(c => c.name === ephemeral.targetContainerName)
      : undefined;
    return {
      kind,
      pod,
      container,
      target,
      ephemeral: Boolean(ephemeral),
      command,
      stdin,
      stdout,
      stderr,
      tty,
    };
  }

  /**
   * The pod is gone: its processes were killed, so each open session ends as a killed
   * process does, with exit code 137.
   */
  podGone(uid: string) {
    for (const end of [...(this.sessions.get(uid) ?? [])]) end(137);
    this.sessions.delete(uid);
    for (const key of this.mainShells.keys()) {
      if (key.startsWith(`${uid}/`)) this.mainShells.delete(key);
    }
  }

  /** Whether a client offered one of the channel protocols served. */
  static offersProtocol(req: http.IncomingMessage) {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim());
    return CHANNEL_PROTOCOLS.some(p => offered.includes(p));
  }

  /** Completes the WebSocket handshake and runs the session. */
  upgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: StreamTarget,
  ) {
    this.wss.handleUpgrade(req, socket, head, ws => this.session(ws, target));
  }

  private view(t: StreamTarget) {
    const lookup = (
      resource: 'configmaps' | 'secrets' | 'services',
      namespace: string,
      name: string,
    ) =>
      this.registry.find(this.registry.typeOf('', resource), namespace, name);
    return new ContainerView(t.pod, t.container, lookup, t.target);
  }

  private session(ws: WebSocket, t: StreamTarget) {
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    const newline = (text: string) =>
      t.tty ? text.replace(/\r?\n/g, '\r\n') : text;
    const send = (channel: number, text: string) => {
      if (!text || ws.readyState !== WebSocket.OPEN) return;
      ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text)]));
    };
    const out = (text: string) => {
      if (t.stdout) send(STDOUT, newline(text));
    };
    const err = (text: string) => {
      if (t.stderr) send(STDERR, text);
      else if (t.tty) out(text);
    };
    let ended = false;
    const end = (code: number) => {
      if (ended) return;
      ended = true;
      const argv = t.kind === 'exec' ? t.command : mainCommand(t.container);
      send(
        ERROR,
        JSON.stringify(
          code === 0
            ? { metadata: {}, status: 'Success' }
            : {
                metadata: {},
                status: 'Failure',
                message: `command terminated with non-zero exit code: error executing command [${argv.join(
                  ' ',
                )}], exit code ${code}`,
                reason: 'NonZeroExitCode',
                details: {
                  causes: [{ reason: 'ExitCode', message: String(code) }],
                },
              },
        ),
      );
      ws.close(1000);
    };
    const uid = t.pod.metadata.uid!;
    const open = this.sessions.get(uid) ?? new Set<(code: number) => void>();
    this.sessions.set(uid, open);
    open.add(end);
    ws.on('close', () => {
      open.delete(end);
      if (open.size === 0 && this.sessions.get(uid) === open) {
        this.sessions.delete(uid);
      }
    });

    const view = this.view(t);
    let shell: SimulatedShell | undefined;
    let endsContainer = false;
    if (t.kind === 'attach') {
      if (!isShell(mainCommand(t.container)) || !view.hasShell) {
        // The main process is the app: attach shows nothing until the client leaves.
        ws.on('message', () => undefined);
        return;
      }
      const key = `${t.pod.metadata.uid}/${t.container.name}`;
      shell = this.mainShells.get(key);
      if (!shell) {
        shell = new SimulatedShell(view, t.target ? 7 : 1);
        this.mainShells.set(key, shell);
      }
      endsContainer = true;
    } else {
      const [program] = t.command;
      if (!isProgram(view, program) || (!view.hasShell && isShell(t.command))) {
        out(
          `OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": executable file not found in $PATH: unknown\r\n`,
        );
        end(126);
        return;
      }
      if (!isShell(t.command) || t.command.includes('-c')) {
        const once = new SimulatedShell(view, 13, 'exec');
        const r = once.command(t.command);
        out(r.stdout);
        err(r.stderr);
        end(r.exit ?? r.code);
        return;
      }
      shell = new SimulatedShell(view, 13);
    }
    const session = shell;
    const finish = (code: number) => {
      if (endsContainer) {
        this.mainShells.delete(`${t.pod.metadata.uid}/${t.container.name}`);
        if (t.ephemeral) this.onExit(t.pod, t.container.name, code);
      }
      end(code);
    };
    const runLine = (line: string) => {
      const r = session.run(line);
      out(r.stdout);
      err(r.stderr);
      if (r.exit !== undefined) {
        finish(r.exit);
        return false;
      }
      if (t.tty) out(session.prompt());
      return true;
    };
    if (!t.stdin) {
      end(0);
      return;
    }
    if (t.tty) out(session.prompt());
    let pending = '';
    const input = (text: string) => {
      if (!t.tty) {
        pending += text;
        let at = pending.indexOf('\n');
        while (at >= 0 && !ended) {
          const line = pending.slice(0, at);
          pending = pending.slice(at + 1);
          if (!runLine(line)) return;
          at = pending.indexOf('\n');
        }
        return;
      }
      for (const c of text) {
        if (ended) return;
        if (c === '\r' || c === '\n') {
          out('\n');
          const line = pending;
          pending = '';
          if (!runLine(line)) return;
        } else if (c === '\x7f' || c === '\b') {
          if (pending) {
            pending = pending.slice(0, -1);
            out('\b \b');
          }
        } else if (c === '\x03') {
          pending = '';
          out(`^C\n${session.prompt()}`);
        } else if (c === '\x04') {
          if (!pending) {
            out('\n');
            finish(session.status);
          }
        } else if (c >= ' ') {
          pending += c;
          out(c);
        }
      }
    };
    const endOfInput = () => {
      if (ended) return;
      if (pending && !t.tty && !runLine(pending)) return;
      pending = '';
      if (t.kind === 'attach' && t.container.stdinOnce !== true) {
        // The container's stdin stays open: the session ends, the shell runs on.
        end(0);
        return;
      }
      finish(session.status);
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const bytes = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (bytes.length === 0) return;
      const channel = bytes[0];
      const payload = bytes.subarray(1);
      if (channel === STDIN) input(payload.toString('utf8'));
      else if (channel === RESIZE) {
        // {Width, Height}: the simulated terminal has no layout to redo.
      } else if (v5 && channel === CLOSE && payload[0] === STDIN) endOfInput();
    });
  }
}
