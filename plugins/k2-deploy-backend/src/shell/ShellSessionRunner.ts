import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  K2ShellEndReason,
  K2ShellSession,
} from '@internal/plugin-k2-deploy-common';
import {
  K2ActivityLog,
  K2ClusterAccess,
  K2RemoteCommand,
} from '@internal/plugin-k2-node';
import { StringDecoder } from 'string_decoder';
import WebSocket from 'ws';
import { CommandRecorder } from './CommandRecorder';
import { describeDuration } from './durations';
import { ShellPolicy } from './ShellPolicy';
import { ShellSessionStore, TerminalSize } from './ShellSessionStore';

/** The subprotocol of K2's shell frames. */
export const SHELL_PROTOCOL = 'k2-shell.v1';
/** The most stdin one frame may carry. */
export const MAX_STDIN_BYTES = 64 * 1024;
/** How often an open session's `last_seen_at` (and its commands so far) is written. */
export const TOUCH_INTERVAL_MS = 30_000;
/** How long a killed shell waits for the watch cache to say whether its pod went. */
const KILLED_POD_GRACE_MS = 3_000;
/** Characters of the activity entry's summary kept. */
const MAX_SUMMARY = 2000;

/** What the browser sends. */
type ClientFrame =
  | { t: 'i'; d: string }
  | { t: 'r'; cols: number; rows: number };

function parseFrame(data: WebSocket.RawData): ClientFrame | undefined {
  let frame: any;
  try {
    frame = JSON.parse(data.toString());
  } catch {
    return undefined;
  }
  if (frame?.t === 'i' && typeof frame.d === 'string') {
    return Buffer.byteLength(frame.d, 'utf8') <= MAX_STDIN_BYTES
      ? frame
      : undefined;
  }
  const size = (n: unknown) => Number.isInteger(n) && +n! >= 10 && +n! <= 500;
  if (frame?.t === 'r' && size(frame.cols) && size(frame.rows)) return frame;
  return undefined;
}

/** What the cluster said when the container has no shell to run. */
const NO_SHELL = /executable file not found|no such file or directory/i;

/**
 * Runs one started session between the browser's WebSocket and the container: input
 * and resizes to the cluster, output back, the typed lines recorded; ends it once, for
 * the first of: the shell exited, the browser closed, no input or output for the idle
 * timeout, the maximum duration, the pod went away, the container has no shell, or an
 * error. Then the session is stored as ended, the activity log gets one entry with the
 * commands, the auditor an event, and the browser an `end` frame before close(1000).
 */
export class ShellSessionRunner {
  readonly #access: K2ClusterAccess;
  readonly #store: ShellSessionStore;
  readonly #policy: ShellPolicy;
  readonly #activity: K2ActivityLog;
  readonly #auditor: AuditorService;
  readonly #logger: LoggerService;
  /** How to end each session this replica runs, by id. */
  readonly #open = new Map<string, (reason: K2ShellEndReason) => void>();

  constructor(options: {
    access: K2ClusterAccess;
    store: ShellSessionStore;
    policy: ShellPolicy;
    activity: K2ActivityLog;
    auditor: AuditorService;
    logger: LoggerService;
  }) {
    this.#access = options.access;
    this.#store = options.store;
    this.#policy = options.policy;
    this.#activity = options.activity;
    this.#auditor = options.auditor;
    this.#logger = options.logger;
  }

  /** Ends every session this replica runs (the backend stops). */
  stopAll() {
    for (const end of [...this.#open.values()]) end('error');
  }

  /** Runs the session on an accepted WebSocket; resolves once it ended. */
  async run(
    ws: WebSocket,
    session: K2ShellSession,
    size?: TerminalSize,
  ): Promise<void> {
    const started = Date.now();
    const recorder = new CommandRecorder();
    const decoder = new StringDecoder('utf8');
    const pod = { namespace: session.namespace, name: session.pod };
    let remote: K2RemoteCommand | undefined;
    let typed = false;
    let output = '';
    let ended = false;
    let idle: NodeJS.Timeout | undefined;
    const timers: NodeJS.Timeout[] = [];
    let stopWatching = () => {};
    let done!: () => void;
    const finished = new Promise<void>(resolve => {
      done = resolve;
    });

    const send = (frame: object) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };

    const end = (reason: K2ShellEndReason, message: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(idle);
      timers.forEach(clearTimeout);
      stopWatching();
      this.#open.delete(session.id);
      remote?.close();
      send({ t: 'end', reason, message });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      this.#finish(session, reason, recorder, started).finally(done);
    };
    this.#open.set(session.id, reason =>
      end(reason, 'K2 stopped; the session ended.'),
    );

    const resetIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () =>
          end(
            'idle',
            `Closed after ${describeDuration(
              this.#policy.idleTimeoutMs,
            )} without input.`,
          ),
        this.#policy.idleTimeoutMs,
      );
    };
    resetIdle();
    timers.push(
      setTimeout(
        () =>
          end(
            'max-duration',
            `Closed: sessions last at most ${describeDuration(
              this.#policy.maxDurationMs,
            )}.`,
          ),
        this.#policy.maxDurationMs,
      ),
    );
    const touch = setInterval(() => {
      this.#store
        .touch(session.id, new Date(), recorder.commands)
        .catch(error =>
          this.#logger.warn(
            `Could not mark shell session ${session.id} seen: ${error}`,
          ),
        );
    }, TOUCH_INTERVAL_MS);
    timers.push(touch);

    const gone = () => end('pod-gone', `The pod ${session.pod} is gone.`);
    stopWatching = this.#access.subscribe(change => {
      if (
        change.cluster === session.cluster &&
        change.resource === 'pods' &&
        change.object.metadata.namespace === session.namespace &&
        change.object.metadata.name === session.pod &&
        change.type === 'DELETED'
      ) {
        gone();
      }
    });
    /** Whether the pod is gone or going (its processes are being killed). */
    const going = () => {
      const current = this.#access
        .cache(session.cluster)
        .store('pods')
        .get(pod.namespace, pod.name);
      return !current || Boolean(current.metadata.deletionTimestamp);
    };

    const early: ClientFrame[] = [];
    const deliver = (to: K2RemoteCommand, frame: ClientFrame) => {
      if (frame.t === 'i') to.write(frame.d);
      else to.resize(frame.cols, frame.rows);
    };
    ws.on('message', (data, isBinary) => {
      if (ended) return;
      const frame = isBinary ? undefined : parseFrame(data);
      if (!frame) {
        end('error', 'bad frame');
        return;
      }
      if (frame.t === 'i') {
        typed = true;
        recorder.write(frame.d);
        resetIdle();
      }
      // Frames that arrive while the cluster's stream opens wait for it.
      if (remote) deliver(remote, frame);
      else early.push(frame);
    });
    ws.on('close', () => end('closed', 'The terminal was closed.'));
    ws.on('error', () => end('closed', 'The terminal was closed.'));

    if (going()) {
      gone();
      return finished;
    }
    try {
      const onOutput = (chunk: Buffer) => {
        const text = decoder.write(chunk);
        if (!typed && output.length < 4096) output += text;
        if (text) send({ t: 'o', d: text });
        resetIdle();
      };
      remote =
        session.kind === 'debug'
          ? await this.#access.attach(session.cluster, pod, {
              container: session.container,
              stdin: true,
              tty: true,
              onOutput,
            })
          : await this.#access.exec(session.cluster, pod, {
              container: session.container,
              command: ['/bin/sh'],
              stdin: true,
              tty: true,
              onOutput,
            });
    } catch (error) {
      end('error', `Could not open the terminal: ${(error as Error).message}`);
      return finished;
    }
    if (ended) {
      remote.close();
      return finished;
    }
    if (size) remote.resize(size.cols, size.rows);
    // A debug container's shell printed its prompt before K2 attached: ask again.
    if (session.kind === 'debug') remote.write('\n');
    for (const frame of early.splice(0)) deliver(remote, frame);
    remote.ended.then(async result => {
      // Killed (SIGKILL): most likely with its pod, which the watch cache may hear of
      // a moment later than the stream's end.
      if (result.exitCode === 137 && !ended && !going()) {
        await this.#podChange(session, KILLED_POD_GRACE_MS);
      }
      const rest = decoder.end();
      if (rest) send({ t: 'o', d: rest });
      if (ended) return;
      if (
        !typed &&
        (NO_SHELL.test(output) || NO_SHELL.test(result.message ?? ''))
      ) {
        end(
          'no-shell',
          `${session.container} has no shell (/bin/sh not found). Start a debug container instead.`,
        );
      } else if (going()) {
        // Killed with its pod: the watch cache may not have heard yet.
        gone();
      } else if (result.exitCode !== undefined) {
        end('exit', `Session ended (exit code ${result.exitCode}).`);
      } else {
        end('error', result.message ?? 'The connection to the cluster closed.');
      }
    });
    return finished;
  }

  /** Resolves at the next change of the session's pod, or after `ms`. */
  #podChange(session: K2ShellSession, ms: number): Promise<void> {
    return new Promise(resolve => {
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        resolve();
      }, ms);
      stop = this.#access.subscribe(change => {
        if (
          change.cluster === session.cluster &&
          change.resource === 'pods' &&
          change.object.metadata.namespace === session.namespace &&
          change.object.metadata.name === session.pod
        ) {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    });
  }

  /** Stores the end, once, and records it in the activity log and the audit trail. */
  async #finish(
    session: K2ShellSession,
    reason: K2ShellEndReason,
    recorder: CommandRecorder,
    started: number,
  ) {
    const commands = recorder.commands;
    try {
      const first = await this.#store.end(session.id, {
        reason,
        commands,
        now: new Date(),
      });
      if (!first) return;
      const duration = describeDuration(
        Math.max(1000, Math.round((Date.now() - started) / 1000) * 1000),
      );
      const lines = commands.map(c => c.line).join('; ');
      const summary = `${
        session.kind === 'debug' ? 'Debug session' : 'Shell session'
      } in ${session.pod}/${
        session.container
      } ended (${reason}) after ${duration}: ${commands.length} command${
        commands.length === 1 ? '' : 's'
      }${lines ? `: ${lines}` : ''}`;
      await this.#activity.record({
        service: session.service,
        environment: session.environment,
        actor: session.user,
        action:
          session.kind === 'debug'
            ? 'instance-debug-session'
            : 'instance-shell-session',
        summary:
          summary.length > MAX_SUMMARY
            ? `${summary.slice(0, MAX_SUMMARY - 1)}…`
            : summary,
        result: reason === 'error' ? 'failed' : 'succeeded',
      });
      const event = await this.#auditor.createEvent({
        eventId: 'instance-shell-session',
        severityLevel: 'medium',
        meta: {
          sessionId: session.id,
          service: session.service,
          environment: session.environment,
          cluster: session.cluster,
          pod: session.pod,
          container: session.container,
          kind: session.kind,
          user: session.user,
          endReason: reason,
          commands: commands.length,
        },
      });
      await event.success();
    } catch (error) {
      this.#logger.error(
        `Could not record the end of shell session ${session.id}: ${error}`,
      );
    }
  }
}
