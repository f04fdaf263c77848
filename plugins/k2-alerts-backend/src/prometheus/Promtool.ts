import { InputError } from '@backstage/errors';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIMEOUT_MS = 20_000;

function run(
  command: string,
  args: string[],
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, output });
      },
    );
  });
}

/**
 * Prometheus's `promtool`, which checks rule files exactly as Prometheus will load
 * them. Invariant: no rule group reaches Prometheus unless `check` passed it (when
 * promtool is available; see {@link Promtool.find}).
 */
export class Promtool {
  constructor(readonly path: string) {}

  /**
   * The promtool at `path` (default: `promtool` on the PATH), or undefined when it
   * cannot be run.
   */
  static async find(path = 'promtool'): Promise<Promtool | undefined> {
    try {
      const { code } = await run(path, ['--version']);
      return code === 0 ? new Promtool(path) : undefined;
    } catch {
      return undefined;
    }
  }

  async #withFile<T>(
    name: string,
    content: string,
    fn: (file: string) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'k2-promtool-'));
    try {
      const file = join(dir, name);
      await writeFile(file, content);
      return await fn(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * `promtool check rules` on a rule file's content.
   *
   * @throws InputError with promtool's words when the file does not pass
   */
  async checkRules(content: string): Promise<void> {
    await this.#withFile('rules.yml', content, async file => {
      const { code, output } = await run(this.path, ['check', 'rules', file]);
      if (code !== 0) {
        const problems = output
          .split('\n')
          .map(line => line.trim())
          .filter(
            line =>
              line &&
              !line.startsWith('Checking ') &&
              !line.startsWith('FAILED'),
          )
          .map(line => line.split(`${file}: `).join('').split(file).join(''));
        throw new InputError(
          `The rule group does not pass promtool check rules: ${problems.join(
            '; ',
          )}`,
        );
      }
    });
  }

  /** `promtool test rules` on a test file (beside its rule files); exit code and output. */
  async testRules(testFile: string): Promise<{ code: number; output: string }> {
    return run(this.path, ['test', 'rules', testFile]);
  }
}
