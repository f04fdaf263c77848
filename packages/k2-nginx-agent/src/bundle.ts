import { createHash } from 'crypto';

/** One file of a cluster bundle; `path` starts with `k2/`. */
export interface BundleFile {
  path: string;
  content: string;
}

/** A cluster's rendered Nginx configuration as K2 serves it to agents. */
export interface Bundle {
  cluster: string;
  /** Opaque; changes whenever any file changes. */
  version: string;
  /** `sha256:<hex>` of the files, see {@link bundleHash}. */
  hash: string;
  files: BundleFile[];
}

/** The include nginx.conf names; every bundle carries it. */
export const ENTRY_FILE = 'k2/k2.conf';

/** A relative path below `k2/`: plain segments only, no `.`/`..`, no hidden files. */
const SAFE_PATH = /^k2(\/[A-Za-z0-9_][A-Za-z0-9._-]*)+$/;

export class BundleError extends Error {
  name = 'BundleError';
}

/**
 * The bundle's content hash: SHA-256 over the files in path order, each contributing
 * its path, a NUL, its UTF-8 content and a NUL.
 */
export function bundleHash(files: BundleFile[]): string {
  const hash = createHash('sha256');
  const ordered = [...files].sort((a, b) =>
    a.path < b.path ? -1 : Number(a.path > b.path),
  );
  for (const file of ordered) {
    hash.update(file.path, 'utf8');
    hash.update('\0');
    hash.update(file.content, 'utf8');
    hash.update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Checks a bundle K2 answered with before anything touches the disk: its shape, that
 * it is for `cluster`, that every path is a plain relative path under `k2/` (so no
 * file can land outside the staging directory), that `k2/k2.conf` is there, and that
 * the files hash to the announced `hash`.
 */
export function verifyBundle(body: unknown, cluster: string): Bundle {
  const b = body as Partial<Bundle> | null;
  if (
    !b ||
    typeof b !== 'object' ||
    typeof b.cluster !== 'string' ||
    typeof b.version !== 'string' ||
    b.version === '' ||
    typeof b.hash !== 'string' ||
    !Array.isArray(b.files)
  ) {
    throw new BundleError(
      'the bundle is not { cluster, version, hash, files[] }',
    );
  }
  if (b.cluster !== cluster) {
    throw new BundleError(
      `the bundle is for cluster '${b.cluster}', not '${cluster}'`,
    );
  }
  const seen = new Set<string>();
  for (const file of b.files as unknown[]) {
    const f = file as Partial<BundleFile> | null;
    if (!f || typeof f.path !== 'string' || typeof f.content !== 'string') {
      throw new BundleError('a bundle file is not { path, content }');
    }
    if (!SAFE_PATH.test(f.path)) {
      throw new BundleError(
        `bundle path '${f.path}' is not a plain relative path under k2/`,
      );
    }
    if (seen.has(f.path)) {
      throw new BundleError(`bundle path '${f.path}' appears twice`);
    }
    seen.add(f.path);
  }
  for (const p of seen) {
    // A file and a directory cannot share a name.
    for (let i = p.indexOf('/', 3); i > 0; i = p.indexOf('/', i + 1)) {
      if (seen.has(p.slice(0, i))) {
        throw new BundleError(`bundle path '${p}' is below a file`);
      }
    }
  }
  if (!seen.has(ENTRY_FILE)) {
    throw new BundleError(`the bundle has no ${ENTRY_FILE}`);
  }
  const actual = bundleHash(b.files as BundleFile[]);
  if (actual !== b.hash) {
    throw new BundleError(
      `hash mismatch: the bundle announces ${b.hash}, its files hash to ${actual}`,
    );
  }
  return b as Bundle;
}
