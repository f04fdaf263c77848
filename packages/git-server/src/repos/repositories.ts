import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import path from 'path';
import { promisify } from 'util';

const run = promisify(execFile);

/** An owner or repository name: what `POST /api/repos` accepts and git URLs name. */
export const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Longest repository description accepted, in characters. */
export const MAX_DESCRIPTION = 500;

/**
 * A repository the server holds.
 *
 * @public
 */
export interface RepositoryInfo {
  owner: string;
  name: string;
  /** `owner/name`. */
  fullName: string;
  description: string;
  cloneUrl: string;
}

/** Bad input to a repository operation; nothing was changed. */
export class RepositoryInputError extends Error {}
/** The repository exists already; nothing was changed. */
export class RepositoryExistsError extends Error {}

// git writes this text into a new repository's description file.
const GIT_DEFAULT_DESCRIPTION =
  'Unnamed repository; edit this file to name it for gitweb.';

/**
 * The bare repositories under one root, `<root>/<owner>/<name>.git`, each with K2's
 * post-receive hook. Names are checked against {@link NAME} before any path is built,
 * so no request reaches outside the root.
 */
export class Repositories {
  constructor(
    private readonly root: string,
    private readonly baseUrl: () => string,
    private readonly hook: { script: string; runner: string },
  ) {}

  /** The directory of `owner/name`, or undefined when either name is not valid. */
  directory(owner: string, name: string): string | undefined {
    if (!NAME.test(owner) || !NAME.test(name)) return undefined;
    return path.join(this.root, owner, `${name}.git`);
  }

  /** `owner/name` of a repository directory under the root (as a hook reports it). */
  fromDirectory(dir: string): { owner: string; name: string } | undefined {
    const relative = path.relative(this.root, dir).split(path.sep);
    if (relative.length !== 2 || !relative[1].endsWith('.git'))
      return undefined;
    const [owner, name] = [relative[0], relative[1].slice(0, -4)];
    return this.directory(owner, name) ? { owner, name } : undefined;
  }

  async exists(owner: string, name: string): Promise<boolean> {
    const dir = this.directory(owner, name);
    if (!dir) return false;
    return fs
      .stat(path.join(dir, 'HEAD'))
      .then(s => s.isFile())
      .catch(() => false);
  }

  /** Creates a bare repository with `main` as HEAD and the hook installed. */
  async create(input: unknown): Promise<RepositoryInfo> {
    const { owner, name, description } = validateCreate(input);
    const dir = this.directory(owner, name)!;
    await fs.mkdir(path.dirname(dir), { recursive: true });
    try {
      // Not recursive: the one atomic step that decides who created it.
      await fs.mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new RepositoryExistsError(
          `repository ${owner}/${name} already exists`,
        );
      }
      throw error;
    }
    try {
      await run('git', ['init', '--quiet', '--bare', dir]);
      await run('git', [
        '--git-dir',
        dir,
        'symbolic-ref',
        'HEAD',
        'refs/heads/main',
      ]);
      await fs.writeFile(path.join(dir, 'description'), `${description}\n`);
      await this.installHook(dir);
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true });
      throw error;
    }
    return this.info(owner, name, description);
  }

  /** Every repository, by owner then name. */
  async list(): Promise<RepositoryInfo[]> {
    const out: RepositoryInfo[] = [];
    for (const owner of (await readdir(this.root)).sort()) {
      if (!NAME.test(owner)) continue;
      for (const entry of (await readdir(path.join(this.root, owner))).sort()) {
        const name = entry.endsWith('.git') ? entry.slice(0, -4) : '';
        if (!(await this.exists(owner, name))) continue;
        out.push(this.info(owner, name, await this.description(owner, name)));
      }
    }
    return out;
  }

  /**
   * Writes the hook into every repository, so the node binary and script paths it
   * names are this start's (a repository copied in by hand gets one too).
   */
  async installHooks(): Promise<number> {
    const repositories = await this.list();
    for (const repository of repositories) {
      await this.installHook(
        this.directory(repository.owner, repository.name)!,
      );
    }
    return repositories.length;
  }

  info(owner: string, name: string, description: string): RepositoryInfo {
    return {
      owner,
      name,
      fullName: `${owner}/${name}`,
      description,
      cloneUrl: `${this.baseUrl()}/${owner}/${name}.git`,
    };
  }

  /** The one-line description of a repository ('' when it has none). */
  async description(owner: string, name: string): Promise<string> {
    const dir = this.directory(owner, name);
    if (!dir) return '';
    const text = await fs
      .readFile(path.join(dir, 'description'), 'utf8')
      .catch(() => '');
    const trimmed = text.trim();
    return trimmed === GIT_DEFAULT_DESCRIPTION ? '' : trimmed;
  }

  private async installHook(dir: string) {
    const hooks = path.join(dir, 'hooks');
    await fs.mkdir(hooks, { recursive: true });
    await fs.writeFile(
      path.join(hooks, 'k2-post-receive.js'),
      this.hook.script,
    );
    await fs.writeFile(
      path.join(hooks, 'post-receive'),
      [
        '#!/bin/sh',
        "# K2's local Git server: hands the refs this push updated to the server, which",
        '# sends the push webhooks. It never fails the push.',
        '[ -n "$K2_GIT_HOOK_URL" ] || exit 0',
        `exec ${shellQuote(
          this.hook.runner,
        )} "$(dirname "$0")/k2-post-receive.js"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    await fs.chmod(path.join(hooks, 'post-receive'), 0o755);
  }
}

function shellQuote(value: string) {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function readdir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

function validateCreate(input: unknown) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RepositoryInputError(
      'the body must be a JSON object { owner, name, description? }',
    );
  }
  const { owner, name, description = '' } = input as Record<string, unknown>;
  for (const [field, value] of [
    ['owner', owner],
    ['name', name],
  ] as const) {
    if (typeof value !== 'string' || !NAME.test(value)) {
      throw new RepositoryInputError(
        `${field} must match [a-z0-9][a-z0-9-]{0,62} (lower-case letters, digits and dashes, at most 63)`,
      );
    }
  }
  if (typeof description !== 'string') {
    throw new RepositoryInputError('description must be a string');
  }
  if (description.length > MAX_DESCRIPTION || /[\0\r\n]/.test(description)) {
    throw new RepositoryInputError(
      `description must be one line of at most ${MAX_DESCRIPTION} characters`,
    );
  }
  return {
    owner: owner as string,
    name: name as string,
    description: description.trim(),
  };
}
