import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import {
  K2ConfigError,
  K2EnvironmentModel,
  tryParseImageReference,
} from '@internal/plugin-k2-common';

/** An admin-approved debug image, by the name the debug dialog offers. */
export interface DebugImage {
  name: string;
  image: string;
  description?: string;
}

/** What one environment allows. */
export interface EnvironmentShellRules {
  shell: boolean;
  debug: boolean;
  /** Whether a shell may open in a container running as uid 0. */
  allowRoot: boolean;
  /** The uid debug containers run as. */
  debugUser: number;
}

/**
 * `k2.shell`, read once at start: the session limits, the approved debug images and
 * each environment's rules. An environment not listed allows shells and debug
 * containers unless it is `production: true`; shells never run as root unless the
 * environment says `allowRoot: true`.
 */
export class ShellPolicy {
  readonly idleTimeoutMs: number;
  readonly maxDurationMs: number;
  readonly maxSessionsPerUser: number;
  readonly maxSessions: number;
  readonly debugImages: DebugImage[];
  readonly #environments = new Map<string, EnvironmentShellRules>();
  readonly #model: K2EnvironmentModel;

  /** @throws K2ConfigError naming the first bad key */
  static fromConfig(config: Config, model: K2EnvironmentModel): ShellPolicy {
    return new ShellPolicy(config.getOptionalConfig('k2.shell'), model);
  }

  private constructor(config: Config | undefined, model: K2EnvironmentModel) {
    this.#model = model;
    const duration = (key: string, fallbackMs: number) => {
      if (!config?.has(key)) return fallbackMs;
      const ms = durationToMilliseconds(
        readDurationFromConfig(config, { key }),
      );
      if (!(ms > 0))
        throw new K2ConfigError(`k2.shell.${key}`, 'must be positive');
      return ms;
    };
    const count = (key: string, fallback: number) => {
      const n = config?.getOptionalNumber(key) ?? fallback;
      if (!Number.isInteger(n) || n < 1) {
        throw new K2ConfigError(
          `k2.shell.${key}`,
          'must be a whole number of at least 1',
        );
      }
      return n;
    };
    this.idleTimeoutMs = duration('idleTimeout', 15 * 60_000);
    this.maxDurationMs = duration('maxDuration', 2 * 3600_000);
    this.maxSessionsPerUser = count('maxSessionsPerUser', 3);
    this.maxSessions = count('maxSessions', 50);

    this.debugImages = (
      config?.getOptionalConfigArray('debugImages') ?? []
    ).map((entry, index) => {
      const at = `k2.shell.debugImages[${index}]`;
      const name = entry.getString('name');
      if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(name)) {
        throw new K2ConfigError(
          `${at}.name`,
          `'${name}' must be lowercase letters, digits, '-' or '.'`,
        );
      }
      const image = entry.getString('image');
      if (!tryParseImageReference(image)) {
        throw new K2ConfigError(
          `${at}.image`,
          `'${image}' is not an image reference`,
        );
      }
      const description = entry.getOptionalString('description');
      return { name, image, ...(description ? { description } : {}) };
    });
    const names = new Set<string>();
    this.debugImages.forEach((d, index) => {
      if (names.has(d.name)) {
        throw new K2ConfigError(
          `k2.shell.debugImages[${index}].name`,
          `'${d.name}' is listed twice`,
        );
      }
      names.add(d.name);
    });

    const environments = config?.getOptionalConfig('environments');
    for (const name of environments?.keys() ?? []) {
      const at = `k2.shell.environments.${name}`;
      const environment = model.environments.find(e => e.name === name);
      if (!environment) {
        throw new K2ConfigError(
          at,
          `'${name}' is not an environment of k2.environments`,
        );
      }
      const entry = environments!.getConfig(name);
      const debugUser = entry.getOptionalNumber('debugUser') ?? 1000;
      if (!Number.isInteger(debugUser) || debugUser < 1) {
        throw new K2ConfigError(
          `${at}.debugUser`,
          'must be a non-root uid (a whole number of at least 1)',
        );
      }
      this.#environments.set(name, {
        shell: entry.getOptionalBoolean('shell') ?? !environment.production,
        debug: entry.getOptionalBoolean('debug') ?? !environment.production,
        allowRoot: entry.getOptionalBoolean('allowRoot') ?? false,
        debugUser,
      });
    }
  }

  /** The rules of an environment of the model; undefined for any other name. */
  rules(environment: string): EnvironmentShellRules | undefined {
    const configured = this.#environments.get(environment);
    if (configured) return configured;
    const known = this.#model.environments.find(e => e.name === environment);
    if (!known) return undefined;
    return {
      shell: !known.production,
      debug: !known.production,
      allowRoot: false,
      debugUser: 1000,
    };
  }

  /** The environment's title for messages, else its name. */
  title(environment: string): string {
    return (
      this.#model.environments.find(e => e.name === environment)?.title ??
      environment
    );
  }

  debugImage(name: string): DebugImage | undefined {
    return this.debugImages.find(d => d.name === name);
  }
}
