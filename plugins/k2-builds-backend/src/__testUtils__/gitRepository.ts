import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import path from 'path';
import { promisify } from 'util';

const execFileAsync = promisify(execFile);

/**
 * Runs git as a developer does on their machine: a HOME of its own (no user or system
 * config of the machine running the tests), no prompts, a fixed author. Answers stdout,
 * trimmed.
 */
export async function devGit(
  home: string,
  cwd: string,
  ...args: string[]
): Promise<string> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Alice Example',
      GIT_AUTHOR_EMAIL: 'alice@example.com',
      GIT_COMMITTER_NAME: 'Alice Example',
      GIT_COMMITTER_EMAIL: 'alice@example.com',
    },
  });
  return stdout.trim();
}

/**
 * A repository created on a test Git server (`@internal/git-server`, its
 * `/api/repos`) and a developer's checkout of it, on `main`, that commits and pushes
 * with the server's push token.
 */
export class TestRepository {
  /** Creates `owner/name` on the server and an empty checkout under `dir`. */
  static async create(options: {
    serverUrl: string;
    pushToken: string;
    owner: string;
    name: string;
    dir: string;
  }): Promise<TestRepository> {
    const created = await fetch(`${options.serverUrl}/api/repos`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`k2:${options.pushToken}`).toString(
          'base64',
        )}`,
      },
      body: JSON.stringify({ owner: options.owner, name: options.name }),
    });
    if (created.status !== 201) {
      throw new Error(
        `creating the repository: ${created.status} ${await created.text()}`,
      );
    }
    const { cloneUrl } = (await created.json()) as { cloneUrl: string };
    const home = path.join(options.dir, 'home');
    const checkout = path.join(options.dir, 'checkout');
    await fs.mkdir(home, { recursive: true });
    await fs.mkdir(checkout, { recursive: true });
    await devGit(home, checkout, 'init', '-q', '-b', 'main');
    return new TestRepository(cloneUrl, checkout, home, options.pushToken);
  }

  private constructor(
    /** The URL the server answers clones at (no credentials). */
    readonly cloneUrl: string,
    /** The developer's working tree. */
    readonly checkout: string,
    private readonly home: string,
    private readonly pushToken: string,
  ) {}

  /** git in the checkout. */
  git(...args: string[]): Promise<string> {
    return devGit(this.home, this.checkout, ...args);
  }

  /** Writes `files` (path in the repository → content), commits them, answers the commit. */
  async commit(
    files: Record<string, string | Buffer>,
    message: string,
  ): Promise<string> {
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(this.checkout, file);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, content);
    }
    await this.git('add', '--', ...Object.keys(files));
    await this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** `git push` of `refspecs` (and options such as `--tags`) to the server, with the push token. */
  async push(...refspecs: string[]): Promise<void> {
    const url = new URL(this.cloneUrl);
    url.username = 'k2';
    url.password = this.pushToken;
    await this.git('push', '-q', url.href, ...refspecs);
  }
}
