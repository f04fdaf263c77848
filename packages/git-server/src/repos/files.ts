import { execFile, spawn } from 'child_process';
import { promisify } from 'util';

const run = promisify(execFile);

/** Largest file `GET /api/repos/<owner>/<name>/files/<path>` serves, in bytes. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** What reading one file of a branch found. */
export type RepositoryFile =
  | { kind: 'file'; oid: string; content: Buffer }
  /** No such ref, or the ref has no such path. */
  | { kind: 'missing'; message: string }
  /** The path is a directory (or a submodule), not a file. */
  | { kind: 'not-a-file'; message: string }
  | { kind: 'too-large'; size: number; message: string };

/**
 * One file of a ref (a branch, a tag or a commit; `HEAD` when none is given), read
 * with `git cat-file`. The object name `<ref>:<path>` goes to git on stdin
 * (`--batch-check`), never as an argument, and the blob is then read by its id, so
 * neither the ref nor the path is ever parsed as an option. The caller has checked
 * both against the server's path rules already.
 */
export async function readRepositoryFile(
  gitDir: string,
  ref: string,
  filePath: string,
): Promise<RepositoryFile> {
  const line = await batchCheck(gitDir, `${ref}:${filePath}`);
  const match = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(line);
  if (!match) {
    return {
      kind: 'missing',
      message: `${filePath} is not in ${
        ref === 'HEAD' ? 'the default branch' : ref
      }`,
    };
  }
  const [, oid, type, sizeText] = match;
  if (type !== 'blob') {
    return {
      kind: 'not-a-file',
      message: `${filePath} is a ${
        type === 'tree' ? 'directory' : type
      }, not a file`,
    };
  }
  const size = Number(sizeText);
  if (size > MAX_FILE_BYTES) {
    return {
      kind: 'too-large',
      size,
      message: `${filePath} is ${size} bytes, over the ${MAX_FILE_BYTES} bytes this endpoint serves; clone the repository instead`,
    };
  }
  const { stdout } = await run(
    'git',
    ['--git-dir', gitDir, 'cat-file', 'blob', oid],
    { encoding: 'buffer', maxBuffer: MAX_FILE_BYTES + 1 },
  );
  return { kind: 'file', oid, content: stdout };
}

/** `git cat-file --batch-check` of one object name: its first output line. */
function batchCheck(gitDir: string, objectName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['--git-dir', gitDir, 'cat-file', '--batch-check'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GIT_CONFIG_NOSYSTEM: '1',
        },
      },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', chunk => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', chunk => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', code => {
      if (code === 0) resolve(out.split('\n')[0]);
      else
        reject(
          new Error(
            `git cat-file --batch-check: ${err.trim() || `exit ${code}`}`,
          ),
        );
    });
    child.stdin.end(`${objectName}\n`);
  });
}
