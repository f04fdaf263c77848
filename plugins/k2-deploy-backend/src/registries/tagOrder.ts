/**
 * A tag read as a version: `1.4.2`, `v2.0`, `1.5.0-rc.1`, `20261126`; build metadata
 * (`+…`) is ignored, as semantic versioning says.
 */
interface Version {
  numbers: number[];
  prerelease?: string[];
}

const VERSION =
  /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function versionOf(tag: string): Version | undefined {
  const match = VERSION.exec(tag);
  if (!match) return undefined;
  return {
    numbers: match[1].split('.').map(Number),
    prerelease: match[2]?.split('.'),
  };
}

/** Semantic versioning's precedence of pre-release identifiers (numeric below text). */
function comparePrerelease(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    const an = /^\d+$/.test(a[i]);
    const bn = /^\d+$/.test(b[i]);
    if (an && bn) {
      const d = Number(a[i]) - Number(b[i]);
      if (d) return d;
    } else if (an !== bn) {
      return an ? -1 : 1;
    } else if (a[i] !== b[i]) {
      return a[i] < b[i] ? -1 : 1;
    }
  }
  return 0;
}

/** Ascending precedence; missing trailing numbers count as 0 (`1.4` = `1.4.0`). */
function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const d = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (d) return d;
  }
  // A pre-release comes before its release.
  if (a.prerelease && !b.prerelease) return -1;
  if (!a.prerelease && b.prerelease) return 1;
  if (a.prerelease && b.prerelease) {
    return comparePrerelease(a.prerelease, b.prerelease);
  }
  return 0;
}

function byName(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Tags newest first, as far as the names tell: the Distribution API lists tags without
 * dates, so versions (semantic versions, `v`-prefixed, dotted numbers, date stamps)
 * come first by descending precedence, then every other tag (`latest`, branch names,
 * commit hashes) in name order. Equal versions keep name order, so the result is the
 * same for the same set of tags.
 */
export function sortTagsNewestFirst(tags: Iterable<string>): string[] {
  const versions: Array<[string, Version]> = [];
  const others: string[] = [];
  for (const tag of tags) {
    const version = versionOf(tag);
    if (version) versions.push([tag, version]);
    else others.push(tag);
  }
  versions.sort(([at, a], [bt, b]) => compareVersions(b, a) || byName(at, bt));
  others.sort();
  return [...versions.map(([tag]) => tag), ...others];
}
