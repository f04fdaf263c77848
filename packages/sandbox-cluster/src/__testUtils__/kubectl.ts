import { execFile, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { SandboxCluster } from '../cluster';
import { writeKubeconfig } from '../sandbox';

/** kubectl on the PATH (Debian's kubernetes-client), if there is one. */
export function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kubectl');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Whether tests that drive kubectl can run. `./k2 test` sets K2_REQUIRE_KUBECTL=1 once
 * it has kubectl; then a missing binary fails instead of skipping those tests.
 */
export function kubectlAvailable(): boolean {
  if (findKubectl()) return true;
  if (process.env.K2_REQUIRE_KUBECTL === '1') {
    throw new Error(
      'kubectl is missing and K2_REQUIRE_KUBECTL=1 says it must be tested (install the kubernetes-client package)',
    );
  }
  return false;
}

/** What one kubectl command printed, and its exit code. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real kubectl against sandbox clusters, as a user runs it: a kubeconfig with one
 * context per cluster (named after it, over HTTPS) in a directory of its own.
 */
export class Kubectl {
  readonly #binary: string;
  readonly #dir: string;

  /** @throws Error when kubectl is not on the PATH */
  constructor(clusters: SandboxCluster[]) {
    const binary = findKubectl();
    if (!binary) {
      throw new Error('kubectl is not on the PATH (install kubernetes-client)');
    }
    this.#binary = binary;
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-kubectl-'));
    writeKubeconfig(clusters, path.join(this.#dir, 'kubeconfig'));
  }

  /** kubectl's arguments for `args` against `cluster`, with this instance's files. */
  #args(cluster: string, args: string[]): string[] {
    return [
      '--kubeconfig',
      path.join(this.#dir, 'kubeconfig'),
      '--cache-dir',
      path.join(this.#dir, 'cache'),
      '--context',
      cluster,
      ...args,
    ];
  }

  /** Runs `kubectl --context <cluster> <args>`; never rejects on a non-zero exit. */
  run(cluster: string, ...args: string[]): Promise<KubectlResult> {
    return new Promise(resolve => {
      execFile(
        this.#binary,
        this.#args(cluster, args),
        { timeout: 60_000 },
        (error, stdout, stderr) => {
          let code = 0;
          if (error) code = typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /**
   * Runs `kubectl --context <cluster> <args>` with `stdin` piped to it (no terminal),
   * as `echo ls | kubectl exec -i ...`; never rejects on a non-zero exit.
   */
  runWithInput(
    cluster: string,
    stdin: string,
    ...args: string[]
  ): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#binary, this.#args(cluster, args), {
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', chunk => {
        stdout += chunk;
      });
      child.stderr.on('data', chunk => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', code => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  /**
   * Runs `kubectl --context <cluster> <args>` in a terminal (util-linux `script` gives it
   * a pseudo-terminal), as a person runs `kubectl exec -it`: each step's `send` is typed
   * once the terminal's output contains its `after`. Never rejects on a non-zero exit;
   * `stdout` is the terminal's output (kubectl's stdout and stderr together).
   */
  runInTerminal(
    cluster: string,
    steps: { after: string; send: string }[],
    ...args: string[]
  ): Promise<KubectlResult> {
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const command = [this.#binary, ...this.#args(cluster, args)]
      .map(quote)
      .join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      let next = 0;
      let seenUpTo = 0;
      child.stdout.on('data', chunk => {
        stdout += chunk;
        while (next < steps.length) {
          const at = stdout.indexOf(steps[next].after, seenUpTo);
          if (at < 0) break;
          seenUpTo = at + steps[next].after.length;
          child.stdin.write(steps[next].send);
          next += 1;
        }
      });
      child.stderr.on('data', chunk => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', code => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  /** Removes the kubeconfig and kubectl's cache. */
  dispose() {
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
