import { spawn } from 'child_process';
import readline from 'readline';

/** How long a group has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 10_000;

/** How a command in its own process group ended. */
export type GroupExit =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'aborted' };

/** Sends a signal to a whole process group; a group already gone is not an error. */
function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Groups started here whose leader has not exited yet. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * A backend that stops does not wait for its builds (its shutdown aborts them and
 * exits), so a group that got SIGTERM would never get its SIGKILL, and a step that
 * ignores SIGTERM would outlive the backend. On the way out, every group still here
 * gets SIGKILL.
 */
function trackGroup(pid: number) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of liveGroups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    });
  }
  liveGroups.add(pid);
}

/**
 * Runs a command as the leader of a new process group (its children, such as a
 * build's `RUN` steps, are in it too), handing each line of stdout and stderr to
 * `onLine` as it comes. When `signal` aborts, the group gets SIGTERM and, if any of
 * it is still there `graceMs` later, SIGKILL; the promise settles once the leader
 * has exited and its output is read.
 */
export function runInGroup(
  command: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    cwd?: string;
    signal: AbortSignal;
    onLine: (line: string, stream: 'stdout' | 'stderr') => void;
    graceMs?: number;
  },
): Promise<GroupExit> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) trackGroup(child.pid);
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;
    const onAbort = () => {
      if (aborted || child.pid === undefined) return;
      aborted = true;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(
        () => signalGroup(child.pid!, 'SIGKILL'),
        options.graceMs ?? KILL_GRACE_MS,
      );
    };
    options.signal.addEventListener('abort', onAbort, { once: true });

    const streams = (['stdout', 'stderr'] as const).map(
      name =>
        new Promise<void>(done => {
          const lines = readline.createInterface({
            input: child[name]!,
            crlfDelay: Infinity,
          });
          lines.on('line', line => options.onLine(line, name));
          lines.on('close', () => done());
        }),
    );
    child.on('error', error => {
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      options.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort);
      // The leader is gone; whatever is left of its group (a step's stray
      // background process) goes with it, so no pipe is held open and nothing lingers.
      if (child.pid !== undefined) {
        signalGroup(child.pid, 'SIGKILL');
        liveGroups.delete(child.pid);
      }
      if (killTimer) clearTimeout(killTimer);
      Promise.all(streams).then(() =>
        resolve(
          aborted ? { kind: 'aborted' } : { kind: 'exited', code, signal },
        ),
      );
    });
  });
}
