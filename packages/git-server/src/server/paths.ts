import { NAME } from '../repos/repositories';

/** A request path read as one of git's smart-HTTP endpoints. */
export type GitPath =
  | {
      kind: 'git';
      owner: string;
      name: string;
      service: 'git-upload-pack' | 'git-receive-pack';
      pathInfo: string;
      queryString: string;
    }
  /** Not a path this server serves: 404. */
  | { kind: 'unknown' }
  /** A path no client sends (escapes, dot segments, odd characters): 400. */
  | { kind: 'invalid'; message: string };

const SAFE_PATH = /^\/[A-Za-z0-9./_-]*$/;
const GIT_PATH =
  /^\/([^/]+)\/([^/]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/**
 * Reads `/<owner>/<name>.git/<endpoint>` from the raw request path. Only the smart
 * protocol's three endpoints are served (`info/refs?service=...`, `git-upload-pack`,
 * `git-receive-pack`); the dumb protocol's file paths are not. A path with a percent
 * escape, a dot segment, a backslash or an empty segment is refused before any name is
 * read, so no request names a file outside the repositories.
 */
export function parseGitPath(
  rawPath: string,
  query: URLSearchParams,
  method: string,
): GitPath {
  if (
    !SAFE_PATH.test(rawPath) ||
    rawPath.includes('//') ||
    rawPath.split('/').some(segment => segment === '.' || segment === '..')
  ) {
    return {
      kind: 'invalid',
      message:
        'the path must be /<owner>/<name>.git/... without escapes or dot segments',
    };
  }
  const match = GIT_PATH.exec(rawPath);
  if (!match) return { kind: 'unknown' };
  const [, owner, name, endpoint] = match;
  if (!NAME.test(owner) || !NAME.test(name)) return { kind: 'unknown' };
  if (endpoint === 'info/refs') {
    const service = query.get('service');
    if (method !== 'GET' && method !== 'HEAD') return { kind: 'unknown' };
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      return { kind: 'unknown' };
    }
    return {
      kind: 'git',
      owner,
      name,
      service,
      pathInfo: rawPath,
      queryString: `service=${service}`,
    };
  }
  if (method !== 'POST') return { kind: 'unknown' };
  return {
    kind: 'git',
    owner,
    name,
    service: endpoint as 'git-upload-pack' | 'git-receive-pack',
    pathInfo: rawPath,
    queryString: '',
  };
}

/** A request path read as `GET /api/repos/<owner>/<name>/files/<path>?ref=<ref>`. */
export type FilesPath =
  | { kind: 'file'; owner: string; name: string; path: string; ref: string }
  | { kind: 'unknown' }
  | { kind: 'invalid'; message: string };

const FILES_PATH = /^\/api\/repos\/([^/]+)\/([^/]+)\/files\/(.+)$/;
/** A branch or tag name as `git check-ref-format` allows it, or a commit id. */
const REF =
  /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))[A-Za-z0-9._/+-]{1,200}(?<![./])$/;

/** Whether the raw path starts like a file request (then {@link parseFilesPath} decides). */
export function isFilesPath(rawPath: string): boolean {
  return /^\/api\/repos\/[^/]*\/[^/]*\/files(\/|$)/.test(rawPath);
}

/**
 * Reads a file request with the same rules as git's paths: a percent escape, a dot
 * segment, a backslash or an empty segment in the path is refused (400) before any
 * name is read; so is a `ref` that is not a branch, tag or commit name. No ref means
 * the repository's default branch (`HEAD`).
 */
export function parseFilesPath(
  rawPath: string,
  query: URLSearchParams,
): FilesPath {
  if (
    !SAFE_PATH.test(rawPath) ||
    rawPath.includes('//') ||
    rawPath.endsWith('/') ||
    rawPath.split('/').some(segment => segment === '.' || segment === '..')
  ) {
    return {
      kind: 'invalid',
      message:
        'the path must be /api/repos/<owner>/<name>/files/<path> without escapes, dot segments or empty segments',
    };
  }
  const match = FILES_PATH.exec(rawPath);
  if (!match) return { kind: 'unknown' };
  const [, owner, name, filePath] = match;
  if (!NAME.test(owner) || !NAME.test(name)) return { kind: 'unknown' };
  const ref = query.get('ref') ?? 'HEAD';
  if (!REF.test(ref)) {
    return {
      kind: 'invalid',
      message: 'ref must be a branch or tag name (or a commit id)',
    };
  }
  return { kind: 'file', owner, name, path: filePath, ref };
}
