import { Config } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { readDurationFromConfig } from '@backstage/config';
import {
  ImageReference,
  K2ConfigError,
  tryParseImageReference,
} from '@internal/plugin-k2-common';

/** Docker Hub: the registry of an image reference that names none. */
export const DOCKER_HUB = 'docker.io';

/** How long one HTTP call to a registry may take unless the registry says otherwise. */
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * A registry K2 may list image tags from, from one entry of `k2.registries`.
 *
 * Invariants: `baseUrl` is `https:` unless the entry set `insecure: true`; `username`
 * and `password` are both set or both absent, and neither ever leaves the client that
 * signs requests with them (no log line, error message or response carries them).
 */
export interface RegistryConfig {
  /** The registry as image references name it, with its port if any. */
  host: string;
  /** Where its Distribution API answers, without a trailing slash. */
  baseUrl: string;
  /** True when plain HTTP is allowed (the base URL or a token service on `http:`). */
  insecure: boolean;
  credentials?: { username: string; password: string };
  /** Bound of each HTTP call (tag pages and tokens alike). */
  timeoutMs: number;
}

function fail(key: string, problem: string): never {
  throw new K2ConfigError(key, problem);
}

/**
 * Where an image lives: its registry as `k2.registries` names it (`docker.io` when the
 * reference names none) and its path there (Docker Hub keeps its one-component names
 * under `library/`).
 */
export function registryLocationOf(image: ImageReference): {
  registry: string;
  path: string;
} {
  const registry = image.registry ?? DOCKER_HUB;
  return {
    registry,
    path:
      registry === DOCKER_HUB && !image.path.includes('/')
        ? `library/${image.path}`
        : image.path,
  };
}

/**
 * Reads `k2.registries`. No entry is a valid setup: then no tags are listed, the
 * release dialog takes any tag typed, and no release's image is looked up.
 *
 * @throws K2ConfigError naming the key of the first bad value
 */
export function readRegistries(config: Config): Map<string, RegistryConfig> {
  const registries = new Map<string, RegistryConfig>();
  const entries = config.getOptionalConfigArray('k2.registries') ?? [];
  entries.forEach((entry, index) => {
    const at = (key: string) => `k2.registries[${index}].${key}`;
    const host = entry.getString('host');
    const parsed = tryParseImageReference(`${host}/probe`);
    if (host !== DOCKER_HUB && parsed?.registry !== host) {
      fail(
        at('host'),
        `'${host}' is not a registry as image references name it, such as 'registry.example.com' or 'registry.example.com:5000'`,
      );
    }
    if (registries.has(host)) {
      fail(at('host'), `'${host}' is configured twice`);
    }
    const insecure = entry.getOptionalBoolean('insecure') ?? false;
    const defaultUrl =
      host === DOCKER_HUB ? 'https://registry-1.docker.io' : `https://${host}`;
    const url = entry.getOptionalString('url') ?? defaultUrl;
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      fail(at('url'), `'${url}' is not a URL`);
    }
    if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
      fail(at('url'), `'${url}' is neither an https: nor an http: URL`);
    }
    if (parsedUrl.protocol === 'http:' && !insecure) {
      fail(
        at('url'),
        `'${url}' is plain HTTP; set ${at(
          'insecure',
        )}: true to allow it (credentials and tokens then travel unencrypted)`,
      );
    }
    if (parsedUrl.username || parsedUrl.password) {
      fail(at('url'), 'credentials go in username and password, not the URL');
    }
    const username = entry.getOptionalString('username');
    const password = entry.getOptionalString('password');
    if ((username === undefined) !== (password === undefined)) {
      fail(
        at(username === undefined ? 'username' : 'password'),
        'username and password are set together or not at all',
      );
    }
    const timeoutMs = entry.has('timeout')
      ? durationToMilliseconds(
          readDurationFromConfig(entry, { key: 'timeout' }),
        )
      : DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
      fail(at('timeout'), 'must be longer than zero');
    }
    registries.set(host, {
      host,
      baseUrl: parsedUrl.href.replace(/\/+$/, ''),
      insecure,
      credentials:
        username !== undefined && password !== undefined
          ? { username, password }
          : undefined,
      timeoutMs,
    });
  });
  return registries;
}
