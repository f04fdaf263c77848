import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { execFile } from 'child_process';
import { promises as fs } from 'fs';

/** A source host K2 may clone from, with the token it reads with (`k2.builds.sources[]`). */
export interface SourceHost {
  host: string;
  token?: string;
}

/** A ref resolved to the commit a build will build. */
export interface ResolvedRef {
  /** The branch or tag, as asked for (or the default branch's name). */
  ref: string;
  /** The 40-hex commit; an annotated tag's commit, not the tag object. */
  commit: string;
  /** The commit's first line, when known (ls-remote does not tell it). */
  message?: string;
}

const LS_REMOTE_TIMEOUT_MS = 60_000;
const CLONE_DEPTH = 50;
const COMMIT = /^[0-9a-f]{40}$/;
/** What is passed on to git from the backend's own environment (proxies, CA bundles, locale). */
const PASSED_ON = [
  'PATH',
  'HOME',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'GIT_SSL_CAINFO',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/**
 * The environment git runs with for one repository: no prompt, no system or global
 * configuration, HTTP(S) only, and the host's token (from `k2.builds.sources`) as an
 * `Authorization` header scoped to that host through `GIT_CONFIG_COUNT`, so it is in
 * the child's environment and never in its arguments, the URL, or git's output.
 */
export function gitEnv(
  sources: ReadonlyArray<SourceHost>,
  url: string,
): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_ON) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  Object.assign(env, {
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    SSH_ASKPASS: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'http:https',
    GIT_CONFIG_COUNT: '0',
  });
  const token = sources.find(
    source => source.host.toLowerCase() === parsed.host.toLowerCase(),
  )?.token;
  if (token) {
    // Basic with a fixed user name: GitHub (x-access-token) and GitLab (any user name)
    // both take a token as the password this way.
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${parsed.protocol}//${parsed.host}/.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  return env;
}

/** Refuses a ref git could read as an option or that no branch or tag can be named. */
function checkRef(ref: string) {
  if (
    ref.length === 0 ||
    ref.length > 255 ||
    ref.startsWith('-') ||
    ref.startsWith('/') ||
    ref.endsWith('/') ||
    ref.endsWith('.') ||
    ref.endsWith('.lock') ||
    ref.includes('..') ||
    ref.includes('//') ||
    ref.includes('@{') ||
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(ref)
  ) {
    throw new InputError(`'${ref}' is not a branch or tag name`);
  }
}

class GitError extends Error {
  constructor(readonly args: string[], readonly stderr: string) {
    super(lastLine(stderr) || 'git failed');
  }
}

function lastLine(text: string) {
  return (
    text
      .split('\n')
      .map(line => line.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

function git(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        env,
        cwd: options.cwd,
        signal: options.signal,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        if (error.name === 'AbortError') {
          reject(error);
          return;
        }
        reject(new GitError(args, String(stderr)));
      },
    );
  });
}

/** Git's failure to read a repository, as the error the caller can answer with. */
function readFailure(url: string, error: unknown): Error {
  if (!(error instanceof GitError)) return error as Error;
  const message = error.message;
  if (
    /could not resolve host|failed to connect|connection refused|timed out|operation timed out|couldn't connect|the requested url returned error: 5\d\d/i.test(
      message,
    )
  ) {
    return new ServiceUnavailableError(
      `The repository ${url} cannot be reached: ${message}`,
    );
  }
  return new InputError(`The repository ${url} cannot be read: ${message}`);
}

/**
 * The commit a branch or tag of a repository points at, read with `git ls-remote`
 * (nothing is cloned). Without a ref, the repository's default branch (its `HEAD`).
 * A ref that is both a branch and a tag is read as the branch, as `git clone --branch`
 * does. Throws `InputError` "Branch or tag 'x' is not in <url>" when it is neither.
 */
export async function resolveRef(
  url: string,
  ref: string | undefined,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<ResolvedRef> {
  if (ref === undefined) {
    let output: string;
    try {
      output = await git(['ls-remote', '--symref', '--', url, 'HEAD'], env, {
        signal,
        timeoutMs: LS_REMOTE_TIMEOUT_MS,
      });
    } catch (error) {
      throw readFailure(url, error);
    }
    const symref = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(output);
    const head = /^([0-9a-f]{40})\tHEAD$/m.exec(output);
    if (!symref || !head) {
      throw new InputError(
        `The repository ${url} has no default branch (is it empty?)`,
      );
    }
    return { ref: symref[1], commit: head[1] };
  }

  checkRef(ref);
  const branch = `refs/heads/${ref}`;
  const tag = `refs/tags/${ref}`;
  const peeled = `${tag}^{}`;
  let output: string;
  try {
    output = await git(['ls-remote', '--', url, branch, tag, peeled], env, {
      signal,
      timeoutMs: LS_REMOTE_TIMEOUT_MS,
    });
  } catch (error) {
    throw readFailure(url, error);
  }
  // ls-remote matches patterns against the refs' tails: keep exact names only.
  const refs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const [commit, name] = line.split('\t');
    if (name && COMMIT.test(commit)) refs.set(name, commit);
  }
  const commit = refs.get(branch) ?? refs.get(peeled) ?? refs.get(tag);
  if (!commit) {
    throw new InputError(`Branch or tag '${ref}' is not in ${url}`);
  }
  return { ref, commit };
}

/**
 * Clones one branch or tag of a repository into `dir` (which must not exist or be
 * empty) with its last 50 commits, and checks out `commit` (detached). A commit
 * older than that, or pushed over since it was resolved, is fetched by its id when
 * the server allows it; otherwise the clone fails saying so.
 */
export async function cloneAt(
  url: string,
  ref: string,
  commit: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<void> {
  checkRef(ref);
  if (!COMMIT.test(commit)) {
    throw new InputError(`'${commit}' is not a commit id (40 hex digits)`);
  }
  await fs.mkdir(dir, { recursive: true });
  try {
    await git(
      [
        '-c',
        'advice.detachedHead=false',
        'clone',
        '--quiet',
        '--no-tags',
        `--depth=${CLONE_DEPTH}`,
        '--single-branch',
        '--branch',
        ref,
        '--',
        url,
        dir,
      ],
      env,
      { signal },
    );
  } catch (error) {
    throw readFailure(url, error);
  }
  const has = await git(['cat-file', '-e', `${commit}^{commit}`], env, {
    cwd: dir,
    signal,
  }).then(
    () => true,
    error => {
      if (error instanceof GitError) return false;
      throw error;
    },
  );
  if (!has) {
    try {
      await git(
        ['fetch', '--quiet', '--no-tags', '--depth=1', 'origin', commit],
        env,
        { cwd: dir, signal },
      );
    } catch (error) {
      if (error instanceof GitError) {
        throw new InputError(
          `The commit ${commit} is not among the last ${CLONE_DEPTH} commits of '${ref}' in ${url}, and the server does not give it by its id`,
        );
      }
      throw error;
    }
  }
  await git(
    [
      '-c',
      'advice.detachedHead=false',
      'checkout',
      '--quiet',
      '--detach',
      commit,
    ],
    env,
    { cwd: dir, signal },
  );
}
