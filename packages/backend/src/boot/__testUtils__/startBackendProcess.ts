import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import YAML from 'yaml';
import { freePort } from '@internal/sandbox-cluster';

// Test helper, always run from source inside the repository.
// eslint-disable-next-line no-restricted-syntax
export const repoRoot = path.resolve(__dirname, '../../../../..');

/**
 * A backend started as its own process, the way `yarn start` runs it (TypeScript
 * loaded through the Backstage CLI's transform hook) but without the file watcher, so a
 * crash ends the process.
 */
export interface BackendProcess {
  baseUrl: string;
  pid: number;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code once the process exits. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `backstage-cli package start` for packages/backend with the given config files
 * (relative to the repo root) plus an override written from `override(port)`.
 */
export async function startBackendProcess(options: {
  configs: string[];
  override: (port: number) => object;
  env?: Record<string, string>;
}): Promise<BackendProcess> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-boot-'));
  const overrideFile = path.join(dir, 'app-config.test.yaml');
  fs.writeFileSync(overrideFile, YAML.stringify(options.override(port)));

  const args = [
    ...options.configs.flatMap(c => ['--config', path.join(repoRoot, c)]),
    '--config',
    overrideFile,
  ];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      'src/index.ts',
      ...args,
    ],
    {
      cwd: path.join(repoRoot, 'packages/backend'),
      env: {
        ...process.env,
        NODE_ENV: 'development',
        ...options.env,
        FORCE_COLOR: '0',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', d => (output += d));
  child.stderr!.on('data', d => (output += d));
  const exited = new Promise<number | null>(resolve =>
    child.on('exit', code => resolve(code)),
  );

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) {
        process.kill(-child.pid!, 'SIGTERM');
        const timer = setTimeout(
          () => process.kill(-child.pid!, 'SIGKILL'),
          10_000,
        );
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `fn` returns a value, the process exits, or the deadline passes. */
export async function waitFor<T>(
  backend: BackendProcess,
  fn: () => Promise<T | undefined>,
  timeoutMs = 150_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  backend.exited.then(code => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `backend exited with ${exitCode}:\n${backend.output().slice(-4000)}`,
      );
    }
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `backend did not get there in time:\n${backend.output().slice(-4000)}`,
      );
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}
