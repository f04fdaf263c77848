import { ConfigReader } from '@backstage/config';
import {
  checkClusterReferences,
  K2ConfigError,
  readEnvironmentModel,
} from './readEnvironmentModel';

const valid = {
  k2: {
    platformAdminGroup: 'platform-admins',
    environments: [
      {
        name: 'test',
        clusters: [{ name: 'test' }],
        wildcardDomain: 'k2.example.com',
        release: { timeoutSeconds: 600, autoRollback: false, drainSeconds: 10 },
      },
      {
        name: 'prod',
        title: 'Production',
        production: true,
        approval: { required: true, approverGroup: 'group:default/approvers' },
        clusters: [
          { name: 'prod-a', weight: 60 },
          { name: 'prod-b', weight: 40 },
        ],
        defaults: {
          replicas: 3,
          resources: { cpu: '500m', memory: '512Mi' },
          overcommit: { cpu: 2, memory: 1.5 },
        },
        builds: { cluster: 'build', namespace: 'ci-builds' },
        release: { timeoutSeconds: 900, autoRollback: true, drainSeconds: 20 },
        limits: {
          maxCpu: '8',
          maxMemory: '16Gi',
          maxReplicas: 20,
          priorityClasses: ['business-critical'],
          nodeSelectors: ['pool', 'disktype=ssd'],
        },
      },
    ],
  },
};

function withEnvironment(index: number, patch: object) {
  const data = structuredClone(valid);
  Object.assign(data.k2.environments[index], patch);
  return new ConfigReader(data);
}

function errorOf(fn: () => unknown): K2ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(K2ConfigError);
    return error as K2ConfigError;
  }
  throw new Error('expected a K2ConfigError');
}

describe('readEnvironmentModel', () => {
  it('reads environments, filling in defaults', () => {
    const model = readEnvironmentModel(new ConfigReader(valid));
    expect(model.platformAdminGroup).toBe('group:default/platform-admins');
    expect(model.environments).toEqual([
      {
        name: 'test',
        title: 'test',
        description: undefined,
        production: false,
        approval: { required: false, approverGroup: undefined },
        clusters: [{ name: 'test', weight: 1 }],
        defaults: {
          replicas: 1,
          resources: { cpu: '1', memory: '1Gi' },
          overcommit: { cpu: 1, memory: 1 },
        },
        wildcardDomain: 'k2.example.com',
        builds: { cluster: 'test', namespace: undefined },
        release: { timeoutSeconds: 600, autoRollback: false, drainSeconds: 10 },
        namespaces: {},
        limits: { priorityClasses: [], nodeSelectors: [] },
      },
      {
        name: 'prod',
        title: 'Production',
        description: undefined,
        production: true,
        approval: { required: true, approverGroup: 'group:default/approvers' },
        clusters: [
          { name: 'prod-a', weight: 60 },
          { name: 'prod-b', weight: 40 },
        ],
        defaults: {
          replicas: 3,
          resources: { cpu: '500m', memory: '512Mi' },
          overcommit: { cpu: 2, memory: 1.5 },
        },
        wildcardDomain: undefined,
        builds: { cluster: 'build', namespace: 'ci-builds' },
        release: { timeoutSeconds: 900, autoRollback: true, drainSeconds: 20 },
        namespaces: {},
        limits: {
          maxCpuMillicores: 8000,
          maxMemoryBytes: 16 * 2 ** 30,
          maxReplicas: 20,
          priorityClasses: ['business-critical'],
          nodeSelectors: ['pool', 'disktype=ssd'],
        },
      },
    ]);
  });

  it('requires at least one environment', () => {
    expect(errorOf(() => readEnvironmentModel(new ConfigReader({}))).key).toBe(
      'k2.environments',
    );
  });

  it.each([
    [{ name: 'Prod' }, 'k2.environments[1].name', /lowercase DNS label/],
    [
      { builds: { namespace: 'CI' } },
      'k2.environments[1].builds.namespace',
      /not a namespace name/,
    ],
    [{ name: 'test' }, 'k2.environments[1].name', /declared twice/],
    [{ clusters: [] }, 'k2.environments[1].clusters', /at least one cluster/],
    [
      { clusters: [{ name: 'a', weight: 0 }] },
      'k2.environments[1].clusters[0].weight',
      /positive integer, got 0/,
    ],
    [
      { clusters: [{ name: 'a' }, { name: 'a' }] },
      'k2.environments[1].clusters[1].name',
      /listed twice/,
    ],
    [
      { clusters: [{ name: 'a', weight: 'heavy' }] },
      'k2.environments[1].clusters[0].weight',
      /to a number/,
    ],
    [
      { release: { timeoutSeconds: 0 } },
      'k2.environments[1].release.timeoutSeconds',
      /positive integer, got 0/,
    ],
    [
      { release: { drainSeconds: 2.5 } },
      'k2.environments[1].release.drainSeconds',
      /positive integer, got 2.5/,
    ],
    [
      { approval: { required: true } },
      'k2.environments[1].approval.approverGroup',
      /must name the approver group/,
    ],
    [
      { approval: { approverGroup: 'user:default/alice' } },
      'k2.environments[1].approval.approverGroup',
      /not a group entity ref/,
    ],
    [
      { defaults: { resources: { cpu: 'lots' } } },
      'k2.environments[1].defaults.resources.cpu',
      /not a CPU quantity/,
    ],
    [
      { defaults: { resources: { memory: '1GB' } } },
      'k2.environments[1].defaults.resources.memory',
      /not a memory quantity/,
    ],
    [
      { defaults: { resources: { cpu: '0' } } },
      'k2.environments[1].defaults.resources.cpu',
      /not a CPU quantity of at least 1m/,
    ],
    [
      { defaults: { resources: { memory: '512Ki' } } },
      'k2.environments[1].defaults.resources.memory',
      /not a memory quantity of at least 1Mi/,
    ],
    [
      { defaults: { resources: { memory: `${'9'.repeat(300)}Gi` } } },
      'k2.environments[1].defaults.resources.memory',
      /not a memory quantity/,
    ],
    [
      { defaults: { replicas: 1.5 } },
      'k2.environments[1].defaults.replicas',
      /positive integer/,
    ],
    [
      { limits: { maxCpu: '9'.repeat(300) } },
      'k2.environments[1].limits.maxCpu',
      /not a CPU quantity/,
    ],
    [
      { limits: { maxMemory: '512Ki' } },
      'k2.environments[1].limits.maxMemory',
      /not a memory quantity of at least 1Mi/,
    ],
    [
      { limits: { maxReplicas: 0 } },
      'k2.environments[1].limits.maxReplicas',
      /positive integer, got 0/,
    ],
    [
      { limits: { maxCpu: '250m' } },
      'k2.environments[1].defaults.resources.cpu',
      /'500m' is over the environment's limits.maxCpu '250m'/,
    ],
    [
      { limits: { maxMemory: '256Mi' } },
      'k2.environments[1].defaults.resources.memory',
      /'512Mi' is over the environment's limits.maxMemory '256Mi'/,
    ],
    [
      { limits: { maxReplicas: 2 } },
      'k2.environments[1].defaults.replicas',
      /3 is over the environment's limits.maxReplicas 2/,
    ],
    [
      { limits: { priorityClasses: ['High Priority'] } },
      'k2.environments[1].limits.priorityClasses[0]',
      /not a PriorityClass name/,
    ],
    [
      { limits: { nodeSelectors: ['pool', 'a=b=c'] } },
      'k2.environments[1].limits.nodeSelectors[1]',
      /not a node label key or key=value/,
    ],
    [
      { wildcardDomain: '*.example.com' },
      'k2.environments[1].wildcardDomain',
      /not a domain name/,
    ],
  ])('rejects %j at %s', (patch, key, message) => {
    const error = errorOf(() =>
      readEnvironmentModel(withEnvironment(1, patch)),
    );
    expect(error.key).toBe(key);
    expect(error.message).toContain(`'${key}'`);
    expect(error.message).toMatch(message);
  });
});

describe('checkClusterReferences', () => {
  const model = readEnvironmentModel(new ConfigReader(valid));

  it('accepts declared clusters', () => {
    expect(() =>
      checkClusterReferences(model, ['test', 'prod-a', 'prod-b', 'build']),
    ).not.toThrow();
  });

  it('names the key of a build cluster that is not declared', () => {
    const error = errorOf(() =>
      checkClusterReferences(model, ['test', 'prod-a', 'prod-b']),
    );
    expect(error.key).toBe('k2.environments[1].builds.cluster');
    expect(error.message).toMatch(
      /unknown cluster 'build' for the builds of environment 'prod'/,
    );
  });

  it('names the key and the declared clusters for an unknown one', () => {
    const error = errorOf(() =>
      checkClusterReferences(model, ['test', 'prod-a']),
    );
    expect(error.key).toBe('k2.environments[1].clusters[1].name');
    expect(error.message).toMatch(
      /unknown cluster 'prod-b' in environment 'prod'.*declared .*: test, prod-a/,
    );
  });
});
