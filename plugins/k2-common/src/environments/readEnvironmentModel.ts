import { Config } from '@backstage/config';
import { parseEntityRef } from '@backstage/catalog-model';
import { parseCpuMillicores, parseMemoryBytes } from '../quantities';
import {
  K2Environment,
  K2EnvironmentCluster,
  K2EnvironmentLimits,
  K2EnvironmentModel,
  K2Overcommit,
  K2Resources,
} from './types';
import { namespacePatternProblem } from './namespaces';

/** Thrown when the `k2` config is missing or wrong; the message names the key. */
export class K2ConfigError extends Error {
  readonly key: string;

  constructor(key: string, problem: string) {
    super(`Invalid K2 configuration at '${key}': ${problem}`);
    this.name = 'K2ConfigError';
    this.key = key;
  }
}

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A node label key (optional DNS prefix), optionally with `=value`.
const NODE_LABEL_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?(=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?)?$/;
const DOMAIN_PATTERN =
  /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

const DEFAULT_RESOURCES: K2Resources = { cpu: '1', memory: '1Gi' };
const DEFAULT_OVERCOMMIT: K2Overcommit = { cpu: 1, memory: 1 };

/** Runs a config getter, re-throwing its error as one that names the key. */
function read<T>(key: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    if (error instanceof K2ConfigError) {
      throw error;
    }
    throw new K2ConfigError(key, (error as Error).message);
  }
}

function readGroupRef(config: Config, key: string, fullKey: string) {
  const value = read(fullKey, () => config.getOptionalString(key));
  if (value === undefined) {
    return undefined;
  }
  try {
    const ref = parseEntityRef(value, { defaultKind: 'group' });
    if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
      throw new Error(`expected a group, got kind '${ref.kind}'`);
    }
    return `group:${ref.namespace}/${ref.name}`;
  } catch (error) {
    throw new K2ConfigError(
      fullKey,
      `'${value}' is not a group entity ref (${(error as Error).message})`,
    );
  }
}

function readPositive(
  config: Config,
  key: string,
  fullKey: string,
  fallback: number,
  integer: boolean,
) {
  const value = read(fullKey, () => config.getOptionalNumber(key)) ?? fallback;
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new K2ConfigError(
      fullKey,
      `must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    );
  }
  return value;
}

function readClusters(config: Config, prefix: string): K2EnvironmentCluster[] {
  const key = `${prefix}.clusters`;
  const entries = read(key, () => config.getOptionalConfigArray('clusters'));
  if (!entries || entries.length === 0) {
    throw new K2ConfigError(key, 'an environment needs at least one cluster');
  }
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const at = `${key}[${index}]`;
    const name = read(`${at}.name`, () => entry.getString('name'));
    if (seen.has(name)) {
      throw new K2ConfigError(
        `${at}.name`,
        `cluster '${name}' is listed twice`,
      );
    }
    seen.add(name);
    return {
      name,
      weight: readPositive(entry, 'weight', `${at}.weight`, 1, true),
    };
  });
}

/** A list of strings, each checked by `valid`, naming the item's key when not. */
function readList(
  config: Config,
  key: string,
  fullKey: string,
  valid: (item: string) => boolean,
  expected: string,
): string[] {
  const items = read(fullKey, () => config.getOptionalStringArray(key)) ?? [];
  items.forEach((item, index) => {
    if (!valid(item)) {
      throw new K2ConfigError(
        `${fullKey}[${index}]`,
        `'${item}' is not ${expected}`,
      );
    }
  });
  return items;
}

/**
 * The environment's bounds (`limits`), checked against its own defaults so that a
 * release asking for nothing is always within them.
 */
function readLimits(
  config: Config,
  at: string,
  defaults: { cpu: string; memory: string; replicas: number },
): K2EnvironmentLimits {
  const limits: K2EnvironmentLimits = {
    priorityClasses: readList(
      config,
      'limits.priorityClasses',
      `${at}.limits.priorityClasses`,
      item => NAME_PATTERN.test(item),
      "a PriorityClass name such as 'business-critical'",
    ),
    nodeSelectors: readList(
      config,
      'limits.nodeSelectors',
      `${at}.limits.nodeSelectors`,
      item => NODE_LABEL_PATTERN.test(item),
      "a node label key or key=value such as 'pool' or 'pool=payments'",
    ),
  };
  const maxCpu = read(`${at}.limits.maxCpu`, () =>
    config.getOptionalString('limits.maxCpu'),
  );
  if (maxCpu !== undefined) {
    limits.maxCpuMillicores = parseCpuMillicores(maxCpu);
    if (!limits.maxCpuMillicores) {
      throw new K2ConfigError(
        `${at}.limits.maxCpu`,
        `'${maxCpu}' is not a CPU quantity of at least 1m such as '8' or '500m'`,
      );
    }
    if (parseCpuMillicores(defaults.cpu)! > limits.maxCpuMillicores) {
      throw new K2ConfigError(
        `${at}.defaults.resources.cpu`,
        `'${defaults.cpu}' is over the environment's limits.maxCpu '${maxCpu}'`,
      );
    }
  }
  const maxMemory = read(`${at}.limits.maxMemory`, () =>
    config.getOptionalString('limits.maxMemory'),
  );
  if (maxMemory !== undefined) {
    limits.maxMemoryBytes = parseMemoryBytes(maxMemory);
    if ((limits.maxMemoryBytes ?? 0) < 2 ** 20) {
      throw new K2ConfigError(
        `${at}.limits.maxMemory`,
        `'${maxMemory}' is not a memory quantity of at least 1Mi such as '16Gi'`,
      );
    }
    if (parseMemoryBytes(defaults.memory)! > limits.maxMemoryBytes!) {
      throw new K2ConfigError(
        `${at}.defaults.resources.memory`,
        `'${defaults.memory}' is over the environment's limits.maxMemory '${maxMemory}'`,
      );
    }
  }
  if (config.has('limits.maxReplicas')) {
    limits.maxReplicas = readPositive(
      config,
      'limits.maxReplicas',
      `${at}.limits.maxReplicas`,
      1,
      true,
    );
    if (defaults.replicas > limits.maxReplicas) {
      throw new K2ConfigError(
        `${at}.defaults.replicas`,
        `${defaults.replicas} is over the environment's limits.maxReplicas ${limits.maxReplicas}`,
      );
    }
  }
  return limits;
}

/** `namespaces.allowed`: patterns of the namespaces services may use; absent = any. */
function readNamespaces(config: Config, at: string) {
  const key = `${at}.namespaces.allowed`;
  const allowed = read(key, () =>
    config.getOptionalStringArray('namespaces.allowed'),
  );
  if (allowed === undefined) return {};
  if (allowed.length === 0) {
    throw new K2ConfigError(
      key,
      'list at least one namespace pattern, or leave the key out to allow any namespace',
    );
  }
  allowed.forEach((pattern, i) => {
    const problem = namespacePatternProblem(pattern);
    if (problem) throw new K2ConfigError(`${key}[${i}]`, problem);
  });
  return { allowed };
}

function readEnvironment(config: Config, index: number): K2Environment {
  const at = `k2.environments[${index}]`;
  const name = read(`${at}.name`, () => config.getString('name'));
  if (!NAME_PATTERN.test(name)) {
    throw new K2ConfigError(
      `${at}.name`,
      `'${name}' must be a lowercase DNS label (letters, digits and '-', at most 63)`,
    );
  }

  const required =
    read(`${at}.approval.required`, () =>
      config.getOptionalBoolean('approval.required'),
    ) ?? false;
  const approverGroup = readGroupRef(
    config,
    'approval.approverGroup',
    `${at}.approval.approverGroup`,
  );
  if (required && !approverGroup) {
    throw new K2ConfigError(
      `${at}.approval.approverGroup`,
      `environment '${name}' requires approval, so it must name the approver group`,
    );
  }

  const cpu =
    read(`${at}.defaults.resources.cpu`, () =>
      config.getOptionalString('defaults.resources.cpu'),
    ) ?? DEFAULT_RESOURCES.cpu;
  if (!parseCpuMillicores(cpu)) {
    throw new K2ConfigError(
      `${at}.defaults.resources.cpu`,
      `'${cpu}' is not a CPU quantity of at least 1m such as '1', '0.5' or '500m'`,
    );
  }
  const memory =
    read(`${at}.defaults.resources.memory`, () =>
      config.getOptionalString('defaults.resources.memory'),
    ) ?? DEFAULT_RESOURCES.memory;
  if ((parseMemoryBytes(memory) ?? 0) < 2 ** 20) {
    throw new K2ConfigError(
      `${at}.defaults.resources.memory`,
      `'${memory}' is not a memory quantity of at least 1Mi such as '1Gi' or '512Mi'`,
    );
  }

  const wildcardDomain = read(`${at}.wildcardDomain`, () =>
    config.getOptionalString('wildcardDomain'),
  );
  if (wildcardDomain !== undefined && !DOMAIN_PATTERN.test(wildcardDomain)) {
    throw new K2ConfigError(
      `${at}.wildcardDomain`,
      `'${wildcardDomain}' is not a domain name such as 'test.example.com'`,
    );
  }

  const clusters = readClusters(config, at);
  const buildsNamespace = read(`${at}.builds.namespace`, () =>
    config.getOptionalString('builds.namespace'),
  );
  if (buildsNamespace !== undefined && !NAME_PATTERN.test(buildsNamespace)) {
    throw new K2ConfigError(
      `${at}.builds.namespace`,
      `'${buildsNamespace}' is not a namespace name (a lowercase DNS label)`,
    );
  }
  const builds = {
    cluster:
      read(`${at}.builds.cluster`, () =>
        config.getOptionalString('builds.cluster'),
      ) ?? clusters[0].name,
    namespace: buildsNamespace,
  };

  const replicas = readPositive(
    config,
    'defaults.replicas',
    `${at}.defaults.replicas`,
    1,
    true,
  );
  const limits = readLimits(config, at, { cpu, memory, replicas });

  return {
    name,
    title: read(`${at}.title`, () => config.getOptionalString('title')) ?? name,
    description: read(`${at}.description`, () =>
      config.getOptionalString('description'),
    ),
    production:
      read(`${at}.production`, () => config.getOptionalBoolean('production')) ??
      false,
    approval: { required, approverGroup },
    clusters,
    namespaces: readNamespaces(config, at),
    defaults: {
      replicas,
      resources: { cpu, memory },
      overcommit: {
        cpu: readPositive(
          config,
          'defaults.overcommit.cpu',
          `${at}.defaults.overcommit.cpu`,
          DEFAULT_OVERCOMMIT.cpu,
          false,
        ),
        memory: readPositive(
          config,
          'defaults.overcommit.memory',
          `${at}.defaults.overcommit.memory`,
          DEFAULT_OVERCOMMIT.memory,
          false,
        ),
      },
    },
    wildcardDomain,
    builds,
    release: {
      timeoutSeconds: readPositive(
        config,
        'release.timeoutSeconds',
        `${at}.release.timeoutSeconds`,
        600,
        true,
      ),
      autoRollback:
        read(`${at}.release.autoRollback`, () =>
          config.getOptionalBoolean('release.autoRollback'),
        ) ?? false,
      drainSeconds: readPositive(
        config,
        'release.drainSeconds',
        `${at}.release.drainSeconds`,
        10,
        true,
      ),
    },
    limits,
  };
}

/**
 * Reads and validates the K2 environment model from the root config.
 *
 * Works on the backend and in the browser (where only keys marked as frontend-visible
 * exist). Cluster references are checked separately, by {@link checkClusterReferences},
 * because only the backend sees the Kubernetes cluster declarations.
 *
 * @throws K2ConfigError naming the offending key
 */
export function readEnvironmentModel(config: Config): K2EnvironmentModel {
  const entries = read('k2.environments', () =>
    config.getOptionalConfigArray('k2.environments'),
  );
  if (!entries || entries.length === 0) {
    throw new K2ConfigError(
      'k2.environments',
      'declare at least one environment (see docs/configuration.md)',
    );
  }
  const environments = entries.map(readEnvironment);
  environments.forEach((environment, index) => {
    if (environments.findIndex(e => e.name === environment.name) !== index) {
      throw new K2ConfigError(
        `k2.environments[${index}].name`,
        `environment '${environment.name}' is declared twice`,
      );
    }
  });
  return {
    environments,
    platformAdminGroup: readGroupRef(
      config,
      'k2.platformAdminGroup',
      'k2.platformAdminGroup',
    ),
  };
}

/**
 * Checks that every cluster an environment names is a declared cluster.
 *
 * @param knownClusters - names of the clusters declared for the Kubernetes plugin
 * @throws K2ConfigError naming the first unknown reference
 */
export function checkClusterReferences(
  model: K2EnvironmentModel,
  knownClusters: string[],
) {
  model.environments.forEach((environment, envIndex) => {
    environment.clusters.forEach((cluster, index) => {
      if (!knownClusters.includes(cluster.name)) {
        const declared = knownClusters.length
          ? knownClusters.join(', ')
          : 'none';
        throw new K2ConfigError(
          `k2.environments[${envIndex}].clusters[${index}].name`,
          `unknown cluster '${cluster.name}' in environment '${environment.name}'; ` +
            `clusters declared under kubernetes.clusterLocatorMethods: ${declared}`,
        );
      }
    });
    const buildCluster = environment.builds?.cluster;
    if (buildCluster && !knownClusters.includes(buildCluster)) {
      throw new K2ConfigError(
        `k2.environments[${envIndex}].builds.cluster`,
        `unknown cluster '${buildCluster}' for the builds of environment '${environment.name}'; ` +
          `clusters declared under kubernetes.clusterLocatorMethods: ${
            knownClusters.length ? knownClusters.join(', ') : 'none'
          }`,
      );
    }
  });
}
