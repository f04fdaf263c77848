import { ChildProcess, spawn } from 'child_process';
import path from 'path';

const ENTRY = path.resolve(__dirname, '..', 'index.ts');
const TRANSFORM = require.resolve('@backstage/cli/config/nodeTransform.cjs');

/**
 * The agent as a host runs it: its own process (and process group), from this
 * checkout's sources, the token in K2_AGENT_TOKEN, stdout and stderr collected.
 */
export function spawnAgent(args: string[], token: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', TRANSFORM, ENTRY, ...args],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, K2_AGENT_TOKEN: token },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', d => (stdout += d));
  child.stderr!.on('data', d => (stderr += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    running: () => child.exitCode === null && child.signalCode === null,
    /** SIGKILL to the whole process group, so an nginx it started dies with it. */
    kill: () => process.kill(-child.pid!, 'SIGKILL'),
  };
}

export type AgentProcess = ReturnType<typeof spawnAgent>;
