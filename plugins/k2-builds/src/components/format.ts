import { K2Build, K2BuildDockerfile } from '@internal/plugin-k2-builds-common';
import { BuildsT } from '../translation';

/**
 * A branch or tag name as the Builds API accepts it (its OpenAPI `GitRef`): what
 * `git check-ref-format` allows, not a `-`-prefixed word, no `..` or `//`.
 */
const GIT_REF =
  /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/+-]+(?<![./])$/;

/** A Docker image tag as the Builds API accepts it (its OpenAPI `ImageTag`). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Why `ref` cannot be sent, in the user's words; undefined when it can. An empty ref
 * is left out of the request when the backend builds the repository's default branch
 * (`optional`), and is an error when a default ref was offered and cleared.
 */
export function refProblem(
  ref: string,
  t: BuildsT,
  optional = false,
): string | undefined {
  if (!ref) return optional ? undefined : t('build.refRequired');
  if (ref.length > 200 || !GIT_REF.test(ref)) return t('build.refInvalid');
  return undefined;
}

/** Why `tag` cannot be sent; undefined when it can (empty: the commit's digits). */
export function tagProblem(tag: string, t: BuildsT): string | undefined {
  if (tag && !IMAGE_TAG.test(tag)) return t('build.tagInvalid');
  return undefined;
}

/** The first 12 hex digits of a commit, as Git shows it short. */
export const shortCommit = (commit: string) => commit.slice(0, 12);

/** `sha256:` and the first 12 hex digits of a digest. */
export const shortDigest = (digest: string) => {
  const [algorithm, hex] = digest.includes(':')
    ? digest.split(':', 2)
    : ['', digest];
  return `${algorithm ? `${algorithm}:` : ''}${hex.slice(0, 12)}`;
};

/** The tag of an image reference (`registry/repository:tag`), or the whole reference. */
export function imageTag(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : image;
}

/** A length of time in seconds, in words ("1 min 12 s"). */
export function formatDuration(seconds: number, t: BuildsT): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('duration.seconds', { seconds: String(s) });
  if (s < 3600) {
    return t('duration.minutes', {
      minutes: String(Math.floor(s / 60)),
      seconds: String(s % 60),
    });
  }
  return t('duration.hours', {
    hours: String(Math.floor(s / 3600)),
    minutes: String(Math.floor((s % 3600) / 60)),
  });
}

/**
 * How long a build ran: from start to end, or to `now` while it runs; undefined before
 * it started (queued) or when it never did (cancelled while queued).
 */
export function buildSeconds(
  build: Pick<K2Build, 'startedAt' | 'finishedAt'>,
  now = Date.now(),
): number | undefined {
  if (!build.startedAt) return undefined;
  const end = build.finishedAt ? Date.parse(build.finishedAt) : now;
  return (end - Date.parse(build.startedAt)) / 1000;
}

/** Where the Dockerfile came from, in words. */
export function dockerfileOrigin(
  dockerfile: Pick<K2BuildDockerfile, 'source' | 'path' | 'template'>,
  t: BuildsT,
): string {
  if (dockerfile.source === 'repository') {
    return t('dockerfile.fromRepository', {
      path: dockerfile.path ?? 'Dockerfile',
    });
  }
  return dockerfile.template
    ? t('dockerfile.generatedFrom', { template: dockerfile.template })
    : t('dockerfile.generated');
}
