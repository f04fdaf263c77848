import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  DEFAULT_BASE_IMAGES,
  DockerfileTemplateName,
} from '@internal/plugin-k2-builds-common';
import { K2ConfigError } from '@internal/plugin-k2-common';
import { normaliseRepositoryUrl, type SourceHost } from '../sources';

/** `k2.builds`, validated (the keys the build service reads; the runners read theirs). */
export interface BuildsConfig {
  runner: 'local' | 'kubernetes';
  timeoutMs: number;
  logRetentionDays: number;
  /** The hosts K2 clones from, lower case, with their tokens. */
  sources: SourceHost[];
  /**
   * Normalised repositories services of several owners build from (a shared
   * monorepo): the repository ownership check leaves them out.
   */
  sharedRepositories: string[];
  /** Absent: every webhook is refused (401). */
  webhookSecret?: string;
  baseImages: Partial<
    Record<DockerfileTemplateName, { build: string; runtime: string }>
  >;
  /** Builds of this runner running at once. */
  concurrency: number;
}

const KEY = 'k2.builds';
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_LOG_RETENTION_DAYS = 30;
const DEFAULT_CONCURRENCY = { local: 1, kubernetes: 5 };
const HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/;

function wholeNumber(
  config: Config,
  key: string,
  min: number,
  max: number,
): number | undefined {
  if (!config.has(key)) return undefined;
  let value: number;
  try {
    value = config.getNumber(key);
  } catch (error) {
    throw new K2ConfigError(`${KEY}.${key}`, (error as Error).message);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new K2ConfigError(
      `${KEY}.${key}`,
      `must be a whole number from ${min} to ${max}, not ${value}`,
    );
  }
  return value;
}

/**
 * Reads `k2.builds` once at start.
 *
 * @throws K2ConfigError naming the key that is wrong
 */
export function readBuildsConfig(root: Config): BuildsConfig {
  const config = root.getOptionalConfig(KEY);
  if (!config) {
    return {
      runner: 'local',
      timeoutMs: DEFAULT_TIMEOUT_MS,
      logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
      sources: [],
      sharedRepositories: [],
      baseImages: {},
      concurrency: DEFAULT_CONCURRENCY.local,
    };
  }
  const runner = config.getOptionalString('runner') ?? 'local';
  if (runner !== 'local' && runner !== 'kubernetes') {
    throw new K2ConfigError(
      `${KEY}.runner`,
      `must be 'local' or 'kubernetes', not '${runner}'`,
    );
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (config.has('timeout')) {
    try {
      timeoutMs = durationToMilliseconds(
        readDurationFromConfig(config, { key: 'timeout' }),
      );
    } catch (error) {
      throw new K2ConfigError(`${KEY}.timeout`, (error as Error).message);
    }
    if (!(timeoutMs >= 1000) || timeoutMs > 24 * 60 * 60 * 1000) {
      throw new K2ConfigError(
        `${KEY}.timeout`,
        'must be from 1 second to 24 hours',
      );
    }
  }
  const sources = (config.getOptionalConfigArray('sources') ?? []).map(
    (entry, index) => {
      const host = entry.getString('host').toLowerCase();
      if (!HOST.test(host)) {
        throw new K2ConfigError(
          `${KEY}.sources[${index}].host`,
          `'${host}' is not a host as URLs name it, such as 'github.com' or '127.0.0.1:7108'`,
        );
      }
      return { host, token: entry.getOptionalString('token') };
    },
  );
  const secret = config.getOptionalString('webhooks.secret')?.trim();
  if (secret !== undefined && secret.length < 16) {
    throw new K2ConfigError(
      `${KEY}.webhooks.secret`,
      'must be at least 16 characters',
    );
  }
  const baseImages: BuildsConfig['baseImages'] = {};
  const images = config.getOptionalConfig('baseImages');
  for (const template of images?.keys() ?? []) {
    if (!Object.hasOwn(DEFAULT_BASE_IMAGES, template)) {
      throw new K2ConfigError(
        `${KEY}.baseImages.${template}`,
        `is not a template; templates: ${Object.keys(DEFAULT_BASE_IMAGES).join(
          ', ',
        )}`,
      );
    }
    baseImages[template as DockerfileTemplateName] = {
      build: images!.getString(`${template}.build`),
      runtime: images!.getString(`${template}.runtime`),
    };
  }
  const sharedRepositories = (
    config.getOptionalStringArray('sharedRepositories') ?? []
  ).map((url, index) => {
    try {
      return normaliseRepositoryUrl(url);
    } catch (error) {
      throw new K2ConfigError(
        `${KEY}.sharedRepositories[${index}]`,
        `'${url}' is not a repository URL such as 'https://github.com/acme/monorepo': ${
          (error as Error).message
        }`,
      );
    }
  });
  return {
    runner,
    timeoutMs,
    logRetentionDays:
      wholeNumber(config, 'logRetentionDays', 1, 3650) ??
      DEFAULT_LOG_RETENTION_DAYS,
    sources,
    sharedRepositories,
    webhookSecret: secret || undefined,
    baseImages,
    concurrency:
      wholeNumber(config, `${runner}.concurrency`, 1, 100) ??
      DEFAULT_CONCURRENCY[runner],
  };
}
