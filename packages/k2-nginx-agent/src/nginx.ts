import { spawn } from 'child_process';

export interface CommandResult {
  ok: boolean;
  /** stderr then stdout, trimmed; nginx writes its verdicts to stderr. */
  output: string;
}

/** How long nginx -t or a reload may take before it counts as failed. */
const COMMAND_TIMEOUT_MS = 60_000;

/** nginx's log prefix, `2026/11/26 08:34:40 [emerg] 20074#20074: `, down to `[emerg] `. */
const NGINX_LOG_PREFIX =
  /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: /gm;

/**
 * Runs argv without a shell and collects its output. Never rejects: a binary that
 * cannot start, a non-zero exit, a signal or the timeout are each `ok: false` with the
 * reason in `output`.
 */
export function runCommand(argv: string[]): Promise<CommandResult> {
  return new Promise(resolve => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', d => out.push(d));
    child.stderr.on('data', d => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    const text = () =>
      [Buffer.concat(err).toString('utf8'), Buffer.concat(out).toString('utf8')]
        .map(s => s.replace(NGINX_LOG_PREFIX, '$1 ').trim())
        .filter(Boolean)
        .join('\n');
    child.on('error', e => {
      clearTimeout(timer);
      resolve({ ok: false, output: `${cmd} could not be run: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ ok: true, output: text() });
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
        resolve({ ok: false, output: text() || `${cmd} ${how}` });
      }
    });
  });
}

/** nginx -t of `conf` with the host's prefix: is this configuration loadable? */
export function testNginxConfig(
  nginxBin: string,
  conf: string,
  prefix?: string,
): Promise<CommandResult> {
  return runCommand([
    nginxBin,
    '-t',
    '-q',
    ...(prefix ? ['-p', prefix] : []),
    '-c',
    conf,
  ]);
}
