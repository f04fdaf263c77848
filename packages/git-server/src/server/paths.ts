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
