import fs from 'node:fs';
import path from 'node:path';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { K2ConfigError, K2EnvironmentModel } from '@internal/plugin-k2-common';

/** A certificate an Nginx cluster holds, by the name sites use; paths on the hosts. */
export interface TrafficCertificate {
  name: string;
  certificate: string;
  key: string;
}

/** One Nginx cluster: the environments it serves and the hosts its agents run on. */
export interface TrafficCluster {
  name: string;
  environments: string[];
  hosts: string[];
  /** Compared in constant time; never logged, returned or stored. */
  agentToken: string;
  certificates: TrafficCertificate[];
}

/** `k2.traffic`, validated. */
export interface TrafficConfig {
  clusters: TrafficCluster[];
  templatesDirectory: string;
  nginxBinary: string;
  nginxTestTimeoutMs: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOST =
  /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;
// Paths on the Nginx hosts, written into the config unquoted: no blanks, quotes or
// anything else Nginx would read as syntax.
const HOST_PATH = /^\/[A-Za-z0-9._\-/]{1,1023}$/;
const MIN_TOKEN_LENGTH = 32;

/** Runs a config getter, re-throwing its error as one that names the key. */
function read<T>(key: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    if (error instanceof K2ConfigError) throw error;
    throw new K2ConfigError(key, (error as Error).message);
  }
}

function defaultNginxBinary() {
  return fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

function readCertificates(config: Config, at: string): TrafficCertificate[] {
  const entries =
    read(`${at}.certificates`, () =>
      config.getOptionalConfigArray('certificates'),
    ) ?? [];
  const names = new Set<string>();
  return entries.map((entry, index) => {
    const key = `${at}.certificates[${index}]`;
    const name = read(`${key}.name`, () => entry.getString('name'));
    if (!NAME.test(name)) {
      throw new K2ConfigError(
        `${key}.name`,
        `'${name}' must be a lowercase DNS label`,
      );
    }
    if (names.has(name)) {
      throw new K2ConfigError(`${key}.name`, `'${name}' is declared twice`);
    }
    names.add(name);
    const file = (field: 'certificate' | 'key') => {
      const value = read(`${key}.${field}`, () => entry.getString(field));
      if (!HOST_PATH.test(value) || value.split('/').includes('..')) {
        throw new K2ConfigError(
          `${key}.${field}`,
          `'${value}' must be an absolute path of letters, digits, '.', '_', '-' and '/'`,
        );
      }
      return value;
    };
    return { name, certificate: file('certificate'), key: file('key') };
  });
}

function readCluster(
  config: Config,
  index: number,
  model: K2EnvironmentModel,
): TrafficCluster {
  const at = `k2.traffic.clusters[${index}]`;
  const name = read(`${at}.name`, () => config.getString('name'));
  if (!NAME.test(name)) {
    throw new K2ConfigError(
      `${at}.name`,
      `'${name}' must be a lowercase DNS label (letters, digits and '-', at most 63)`,
    );
  }
  const environments = read(`${at}.environments`, () =>
    config.getStringArray('environments'),
  );
  if (environments.length === 0) {
    throw new K2ConfigError(
      `${at}.environments`,
      'a cluster serves at least one environment',
    );
  }
  environments.forEach((environment, i) => {
    if (!model.environments.some(e => e.name === environment)) {
      throw new K2ConfigError(
        `${at}.environments[${i}]`,
        `unknown environment '${environment}'; k2.environments declares: ${model.environments
          .map(e => e.name)
          .join(', ')}`,
      );
    }
  });
  const hosts = read(`${at}.hosts`, () => config.getStringArray('hosts'));
  if (hosts.length === 0) {
    throw new K2ConfigError(`${at}.hosts`, 'a cluster has at least one host');
  }
  hosts.forEach((host, i) => {
    if (!HOST.test(host) || host.length > 253) {
      throw new K2ConfigError(
        `${at}.hosts[${i}]`,
        `'${host}' is not a host name`,
      );
    }
    if (hosts.indexOf(host) !== i) {
      throw new K2ConfigError(`${at}.hosts[${i}]`, `'${host}' is listed twice`);
    }
  });
  const agentToken = read(`${at}.agentToken`, () =>
    config.getString('agentToken'),
  );
  if (agentToken.length < MIN_TOKEN_LENGTH || /\s/.test(agentToken)) {
    // The message never quotes the token.
    throw new K2ConfigError(
      `${at}.agentToken`,
      `must be at least ${MIN_TOKEN_LENGTH} characters without blanks (e.g. 'openssl rand -hex 32')`,
    );
  }
  return {
    name,
    environments,
    hosts,
    agentToken,
    certificates: readCertificates(config, at),
  };
}

/**
 * Reads and validates `k2.traffic` against the environment model: cluster and host
 * names, agent tokens, certificate paths, and that each environment is served by one
 * cluster at most. A missing `k2.traffic` means no cluster.
 *
 * @throws K2ConfigError naming the offending key (never quoting a token)
 */
export function readTrafficConfig(
  config: Config,
  model: K2EnvironmentModel,
): TrafficConfig {
  const entries =
    read('k2.traffic.clusters', () =>
      config.getOptionalConfigArray('k2.traffic.clusters'),
    ) ?? [];
  const clusters = entries.map((entry, index) =>
    readCluster(entry, index, model),
  );
  const servedBy = new Map<string, string>();
  clusters.forEach((cluster, index) => {
    if (clusters.findIndex(c => c.name === cluster.name) !== index) {
      throw new K2ConfigError(
        `k2.traffic.clusters[${index}].name`,
        `cluster '${cluster.name}' is declared twice`,
      );
    }
    cluster.environments.forEach((environment, i) => {
      const other = servedBy.get(environment);
      if (other) {
        throw new K2ConfigError(
          `k2.traffic.clusters[${index}].environments[${i}]`,
          `environment '${environment}' is already served by cluster '${other}'`,
        );
      }
      servedBy.set(environment, cluster.name);
    });
  });

  const templatesDirectory = path.resolve(
    read('k2.traffic.templatesDirectory', () =>
      config.getOptionalString('k2.traffic.templatesDirectory'),
    ) ?? resolvePackagePath('@internal/plugin-k2-traffic-backend', 'templates'),
  );
  if (!fs.existsSync(templatesDirectory)) {
    throw new K2ConfigError(
      'k2.traffic.templatesDirectory',
      `'${templatesDirectory}' does not exist`,
    );
  }

  const timeoutKey = 'k2.traffic.nginx.testTimeout';
  const nginxTestTimeoutMs = config.has(timeoutKey)
    ? read(timeoutKey, () =>
        durationToMilliseconds(
          readDurationFromConfig(config, { key: timeoutKey }),
        ),
      )
    : 30_000;
  if (!(nginxTestTimeoutMs > 0)) {
    throw new K2ConfigError(timeoutKey, 'must be a positive duration');
  }
  return {
    clusters,
    templatesDirectory,
    nginxBinary:
      read('k2.traffic.nginx.binary', () =>
        config.getOptionalString('k2.traffic.nginx.binary'),
      ) ?? defaultNginxBinary(),
    nginxTestTimeoutMs,
  };
}
