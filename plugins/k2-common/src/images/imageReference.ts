/**
 * Container image references, as the distribution reference grammar defines them
 * (github.com/distribution/reference), without Docker Hub's name normalisation:
 *
 *   reference  ::= name (":" tag)? ("@" digest)?
 *   name       ::= (domain "/")? path
 *   domain     ::= host (":" port)?     -- only when it has a "." or ":" or is "localhost"
 *   path       ::= component ("/" component)*
 *   component  ::= [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
 *   tag        ::= [\w][\w.-]{0,127}
 *   digest     ::= algorithm ":" hex    -- sha256 with 64 hex digits, or sha512 with 128
 *
 * @packageDocumentation
 */

/** An image reference taken apart. */
export interface ImageReference {
  /** Registry host with its port, e.g. `registry.example.com:5000`; undefined for Docker Hub. */
  registry?: string;
  /** Path in the registry, e.g. `team/app`. */
  path: string;
  /** `registry/path`: what `docker pull` takes without tag or digest. */
  repository: string;
  /** The tag; `latest` when the reference names neither tag nor digest. */
  tag?: string;
  /** `sha256:…` when the reference pins a digest. */
  digest?: string;
  /** True when the tag is `latest` only because none was written. */
  implicitTag: boolean;
}

/** The reason an image reference cannot be parsed. */
export class ImageReferenceError extends Error {
  readonly reference: string;

  constructor(reference: string, reason: string) {
    super(`'${reference}' is not an image reference: ${reason}`);
    this.name = 'ImageReferenceError';
    this.reference = reference;
  }
}

const MAX_NAME = 255;
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])$/;
const PORT = /^[0-9]{1,5}$/;
/** A tag on its own, e.g. `1.4.2`. */
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGESTS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

function isDomain(first: string) {
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

function parseDomain(reference: string, domain: string): string {
  // The port follows the last ':', outside an IPv6 literal's brackets.
  const colon = domain.lastIndexOf(':');
  const host =
    colon > domain.lastIndexOf(']') ? domain.slice(0, colon) : domain;
  const port = host === domain ? undefined : domain.slice(colon + 1);
  if (!HOST.test(host)) {
    throw new ImageReferenceError(
      reference,
      `'${host}' is not a registry host name`,
    );
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) {
    throw new ImageReferenceError(
      reference,
      `'${port}' is not a port number (1 to 65535)`,
    );
  }
  return domain;
}

/**
 * Takes an image reference apart.
 *
 * @throws ImageReferenceError naming the first problem found
 */
export function parseImageReference(reference: string): ImageReference {
  if (typeof reference !== 'string' || !reference) {
    throw new ImageReferenceError(String(reference), 'it is empty');
  }
  if (/\s/.test(reference)) {
    throw new ImageReferenceError(reference, 'it contains whitespace');
  }
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const [algorithm, hex] = digest.split(/:(.*)/s);
    if (!DIGESTS[algorithm]?.test(hex ?? '')) {
      throw new ImageReferenceError(
        reference,
        `'${digest}' is not a digest such as sha256: and 64 lowercase hex digits`,
      );
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!IMAGE_TAG_PATTERN.test(tag)) {
      throw new ImageReferenceError(
        reference,
        `'${tag}' is not a tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
      );
    }
  }
  if (!rest) {
    throw new ImageReferenceError(reference, 'it names no repository');
  }
  if (rest.length > MAX_NAME) {
    throw new ImageReferenceError(
      reference,
      `the name is longer than ${MAX_NAME} characters`,
    );
  }
  const slash = rest.indexOf('/');
  const registry =
    slash >= 0 && isDomain(rest.slice(0, slash))
      ? parseDomain(reference, rest.slice(0, slash))
      : undefined;
  const path = registry === undefined ? rest : rest.slice(slash + 1);
  for (const component of path.split('/')) {
    if (!COMPONENT.test(component)) {
      throw new ImageReferenceError(
        reference,
        component
          ? `'${component}' is not a repository path component (lowercase letters and digits, separated by '.', '_', '__' or '-')`
          : 'the repository path has an empty component',
      );
    }
  }
  const implicitTag = tag === undefined && digest === undefined;
  return {
    registry,
    path,
    repository: rest,
    tag: implicitTag ? 'latest' : tag,
    digest,
    implicitTag,
  };
}

/** The reference, or undefined when it cannot be parsed. */
export function tryParseImageReference(
  reference: string,
): ImageReference | undefined {
  try {
    return parseImageReference(reference);
  } catch {
    return undefined;
  }
}

/** The reference written out: `repository[:tag][@digest]`; an implicit tag stays implicit. */
export function stringifyImageReference(image: ImageReference): string {
  return `${image.repository}${
    image.tag && !image.implicitTag ? `:${image.tag}` : ''
  }${image.digest ? `@${image.digest}` : ''}`;
}

/**
 * The version a reference names: the digest when one is pinned (that is what runs),
 * else the tag, `latest` when none is written.
 */
export function imageVersion(image: ImageReference): string {
  return image.digest ?? image.tag ?? 'latest';
}

/**
 * The version for a narrow column: the tag, or a pinned digest shortened to
 * `sha256:` and 12 hex digits.
 */
export function shortImageVersion(image: ImageReference): string {
  if (image.digest && image.tag === undefined) {
    return image.digest.slice(0, image.digest.indexOf(':') + 13);
  }
  return image.tag ?? 'latest';
}
