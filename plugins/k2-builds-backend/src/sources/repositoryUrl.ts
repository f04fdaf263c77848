import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

/** A service's repository, read from its `backstage.io/source-location`. */
export interface ServiceSource {
  /** What git clones: the location's URL, a GitHub or GitLab tree URL reduced to the repository. */
  url: string;
  /** The URL's host as `k2.builds.sources[].host` names it (lower case, with a port when it has one). */
  host: string;
  /** The URL compared with a push's clone URL ({@link normaliseRepositoryUrl}). */
  key: string;
}

/** `github.com/<owner>/<repo>/(tree|blob)/…` */
const GITHUB_TREE = /^(\/[^/]+\/[^/]+)\/(?:tree|blob)(?:\/.*)?$/;
/** GitLab's `…/<group>/<project>/-/(tree|blob)/…` (any host). */
const GITLAB_TREE = /^(\/.+?)\/-\/(?:tree|blob)(?:\/.*)?$/;

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InputError(`The source location ${raw} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(
      `The source location ${raw} is not an http(s) URL; K2 clones over HTTP(S) only`,
    );
  }
  if (url.username || url.password) {
    throw new InputError(
      `The source location ${url.protocol}//${url.host}${url.pathname} must not carry credentials; give a token in k2.builds.sources`,
    );
  }
  return url;
}

/** The repository a URL is in: a GitHub or GitLab tree or blob URL reduced to the repository; no query or fragment. */
function repositoryOf(url: URL): URL {
  const repository = new URL(url.href);
  repository.search = '';
  repository.hash = '';
  const gitlab = GITLAB_TREE.exec(repository.pathname);
  const github =
    repository.hostname.toLowerCase() === 'github.com'
      ? GITHUB_TREE.exec(repository.pathname)
      : null;
  const match = gitlab ?? github;
  if (match) repository.pathname = match[1];
  return repository;
}

/**
 * A repository URL in the form two URLs of one repository share, to tell whether a
 * push is to a service's repository: protocol and path kept, host lower-cased (the
 * `URL` parser does that), default port dropped, no `.git`, no trailing slash, a
 * GitHub or GitLab tree URL reduced to the repository.
 *
 * `https://GitHub.com/Payments/Ledger.git/` → `https://github.com/Payments/Ledger`.
 */
export function normaliseRepositoryUrl(raw: string): string {
  const url = repositoryOf(parseHttpUrl(raw));
  let pathname = url.pathname.replace(/\/+$/, '');
  if (pathname.toLowerCase().endsWith('.git')) {
    pathname = pathname.slice(0, -'.git'.length);
  }
  return `${url.protocol}//${url.host}${pathname.replace(/\/+$/, '')}`;
}

/**
 * The repository of a service from its `backstage.io/source-location` annotation
 * (`url:<clone or tree URL>`), or `undefined` when it has none. Throws `InputError`
 * for a location K2 cannot clone (another location type, not http(s), credentials in
 * the URL). Whether the host is allowed is the caller's check, against
 * `k2.builds.sources`.
 */
export function sourceOf(entity: Entity): ServiceSource | undefined {
  const annotation =
    entity.metadata.annotations?.[ANNOTATION_SOURCE_LOCATION]?.trim();
  if (!annotation) return undefined;
  let target: string;
  try {
    const location = parseLocationRef(annotation);
    if (location.type !== 'url') {
      throw new InputError(
        `The ${ANNOTATION_SOURCE_LOCATION} annotation must be a url: location, not ${location.type}:`,
      );
    }
    target = location.target;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `The ${ANNOTATION_SOURCE_LOCATION} annotation ${annotation} is not a location (url:<repository URL>)`,
    );
  }
  const repository = repositoryOf(parseHttpUrl(target));
  const url = repository.href.replace(/\/+$/, '');
  return {
    url,
    host: repository.host,
    key: normaliseRepositoryUrl(url),
  };
}
