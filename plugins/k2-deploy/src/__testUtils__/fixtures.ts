import { Entity } from '@backstage/catalog-model';
import {
  K2Canary,
  K2ContainerStatusView,
  K2EnvironmentRuntime,
  K2HistoricalContainer,
  K2PodView,
  K2Release,
  K2ReleaseDefaults,
  K2ReleaseList,
  K2ReleaseSpec,
  K2ReplicaRecommendation,
  K2ServiceRuntime,
  K2ServiceTarget,
} from '@internal/plugin-k2-common';
import { InstanceName, ServiceName } from '../api/K2DeployApi';

/**
 * Fixtures shaped like the Deploy backend's answers for one service,
 * `payment-gateway`, released to `test` (one cluster) and `prod` (two clusters,
 * approval by `group:default/release-approvers`).
 */

export const IMAGE_REPOSITORY = 'registry.northwind.internal/payments/gateway';

export const SERVICE: ServiceName = {
  namespace: 'default',
  name: 'payment-gateway',
};

export const OWNER_GROUP = 'group:default/payments-team';
export const APPROVER_GROUP = 'group:default/release-approvers';
export const PLATFORM_ADMIN_GROUP = 'group:default/platform-admins';

/** The `k2` app config the Deploy tab reads its environment model from. */
export const K2_CONFIG = {
  app: { baseUrl: 'http://localhost:3000' },
  backend: { baseUrl: 'http://localhost:7007' },
  k2: {
    platformAdminGroup: PLATFORM_ADMIN_GROUP,
    environments: [
      {
        name: 'test',
        title: 'Test',
        approval: { required: false },
        clusters: [{ name: 'test', weight: 1 }],
        defaults: {
          replicas: 1,
          resources: { cpu: '1', memory: '1Gi' },
          overcommit: { cpu: 4, memory: 2 },
        },
      },
      {
        name: 'prod',
        title: 'Production',
        production: true,
        approval: { required: true, approverGroup: APPROVER_GROUP },
        clusters: [
          { name: 'prod-a', weight: 60 },
          { name: 'prod-b', weight: 40 },
        ],
        defaults: {
          replicas: 2,
          resources: { cpu: '1', memory: '1Gi' },
          overcommit: { cpu: 2, memory: 1 },
        },
      },
    ],
  },
};

/** The catalog entity of the service. */
export function serviceEntity(name = SERVICE.name): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/kubernetes-id': name,
        'k2.io/environments': 'test,prod',
        'k2.io/image': IMAGE_REPOSITORY,
        'k2.io/language': 'java',
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: OWNER_GROUP,
      system: 'payments-core',
    },
  };
}

/** The `test` environment as `readServiceSpec` resolves it. */
export const TEST_TARGET: K2ServiceTarget = {
  environment: {
    name: 'test',
    title: 'Test',
    production: false,
    approval: { required: false },
    clusters: [{ name: 'test', weight: 1 }],
    defaults: {
      replicas: 1,
      resources: { cpu: '1', memory: '1Gi' },
      overcommit: { cpu: 4, memory: 2 },
    },
    release: { timeoutSeconds: 600, autoRollback: true, drainSeconds: 10 },
    limits: { priorityClasses: [], nodeSelectors: [] },
  },
  clusters: [{ name: 'test', weight: 1 }],
  namespace: 'payments-core',
  replicas: 1,
};

/** The `prod` environment as `readServiceSpec` resolves it. */
export const PROD_TARGET: K2ServiceTarget = {
  environment: {
    name: 'prod',
    title: 'Production',
    production: true,
    approval: { required: true, approverGroup: APPROVER_GROUP },
    clusters: [
      { name: 'prod-a', weight: 60 },
      { name: 'prod-b', weight: 40 },
    ],
    defaults: {
      replicas: 2,
      resources: { cpu: '1', memory: '1Gi' },
      overcommit: { cpu: 2, memory: 1 },
    },
    release: { timeoutSeconds: 900, autoRollback: true, drainSeconds: 10 },
    limits: { priorityClasses: [], nodeSelectors: [] },
  },
  clusters: [
    { name: 'prod-a', weight: 60 },
    { name: 'prod-b', weight: 40 },
  ],
  namespace: 'payments-core',
  replicas: 2,
};

const MINUTE = 60_000;
/** An ISO time `minutes` ago. */
export const minutesAgo = (minutes: number) =>
  new Date(Date.now() - minutes * MINUTE).toISOString();

export function releaseSpec(
  overrides: Partial<K2ReleaseSpec> = {},
): K2ReleaseSpec {
  return {
    name: 'payment-gateway',
    namespace: 'payments-core',
    image: `${IMAGE_REPOSITORY}:1.4.2`,
    replicas: 2,
    clusters: [{ name: 'test', replicas: 2, weight: 1 }],
    resources: {
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    },
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'PAYMENTS_PROVIDER', value: 'stripe' },
    ],
    port: 8080,
    probes: {
      readiness: {
        path: '/healthz',
        initialDelaySeconds: 5,
        periodSeconds: 10,
        failureThreshold: 3,
        timeoutSeconds: 2,
      },
    },
    drainSeconds: 10,
    terminationGracePeriodSeconds: 40,
    logDirectory: '/var/log/k2/payments-core/payment-gateway',
    volumes: [],
    configFiles: [],
    language: 'java',
    jvmOptions: '-XX:MaxRAMPercentage=75',
    nodeSelector: {},
    timeoutSeconds: 600,
    autoRollback: true,
    ...overrides,
  };
}

/** A finished, successful release #`number` to `test`, unless overridden. */
export function release(
  overrides: Partial<Omit<K2Release, 'spec'>> & {
    spec?: Partial<K2ReleaseSpec>;
  } = {},
): K2Release {
  const { spec, ...rest } = overrides;
  const number = rest.number ?? 7;
  return {
    id: `rel-${rest.environment ?? 'test'}-${number}`,
    service: 'component:default/payment-gateway',
    environment: 'test',
    namespace: 'payments-core',
    kind: 'release',
    status: 'succeeded',
    number,
    spec: releaseSpec(spec),
    createdBy: 'user:default/alice',
    createdAt: minutesAgo(30),
    startedAt: minutesAgo(30),
    finishedAt: minutesAgo(27),
    progress: [],
    ...rest,
  };
}

/**
 * A canary of 1.5.0-rc1 beside release #7 in `test`, one pod per cluster, ready, started
 * by Alice ten minutes ago, unless overridden.
 */
export function canary(overrides: Partial<K2Canary> = {}): K2Canary {
  const image = `${IMAGE_REPOSITORY}:1.5.0-rc1`;
  return {
    id: 'canary-1',
    service: 'component:default/payment-gateway',
    environment: 'test',
    namespace: 'payments-core',
    image,
    replicas: 1,
    status: 'running',
    baseRelease: { id: 'rel-test-7', number: 7 },
    startedBy: 'user:default/alice',
    startedAt: minutesAgo(10),
    spec: releaseSpec({ image }),
    clusters: [{ cluster: 'test', replicas: 1, ready: 1, total: 1 }],
    ...overrides,
  };
}

export function releaseList(items: K2Release[]): K2ReleaseList {
  return { items, total: items.length };
}

/**
 * What a release gets for the values it leaves out, as the backend answers: in `test`
 * the running release #7's two replicas, in `prod` (nothing released) the
 * environment's default of 2; 1 CPU and 1Gi from the environment's defaults.
 */
export function releaseDefaults(
  overrides: Partial<K2ReleaseDefaults> = {},
): K2ReleaseDefaults {
  const prod = overrides.environment === 'prod';
  return {
    environment: 'test',
    imageRepository: IMAGE_REPOSITORY,
    ...(prod
      ? { replicas: { value: 2, source: 'environment' } }
      : {
          current: {
            id: 'rel-test-7',
            number: 7,
            image: `${IMAGE_REPOSITORY}:1.4.2`,
          },
          replicas: { value: 2, source: 'release', release: 7 },
        }),
    cpu: { value: '1', source: 'environment' },
    memory: { value: '1Gi', source: 'environment' },
    ...overrides,
  };
}

export function containerStatus(
  overrides: Partial<K2ContainerStatusView> = {},
): K2ContainerStatusView {
  return {
    name: 'payment-gateway',
    image: `${IMAGE_REPOSITORY}:1.4.2`,
    ready: true,
    restarts: 0,
    state: 'running',
    startedAt: minutesAgo(25),
    ...overrides,
  };
}

export const POD_NAME = 'payment-gateway-7d9c5b6f4-x2x8k';

export function pod(overrides: Partial<K2PodView> = {}): K2PodView {
  return {
    namespace: 'payments-core',
    name: POD_NAME,
    phase: 'Running',
    containers: { ready: 1, total: 1 },
    ready: true,
    restarts: 0,
    node: 'test-node-1',
    ip: '10.42.0.17',
    images: [`${IMAGE_REPOSITORY}:1.4.2`],
    workload: 'payment-gateway',
    createdAt: minutesAgo(26),
    startedAt: minutesAgo(25),
    terminating: false,
    release: 7,
    inTraffic: true,
    containerStatuses: [containerStatus()],
    ...overrides,
  };
}

export const TEST_INSTANCE: InstanceName = {
  environment: 'test',
  cluster: 'test',
  pod: POD_NAME,
};

export function environmentRuntime(
  overrides: Partial<K2EnvironmentRuntime> = {},
): K2EnvironmentRuntime {
  return {
    name: 'test',
    title: 'Test',
    namespace: 'payments-core',
    clusters: [
      {
        cluster: 'test',
        weight: 1,
        health: {
          cluster: 'test',
          status: 'ok',
          stale: false,
          pendingResources: [],
          objects: { pods: 2 },
        },
        workloads: [
          {
            kind: 'Deployment',
            namespace: 'payments-core',
            name: 'payment-gateway',
            images: [`${IMAGE_REPOSITORY}:1.4.2`],
            replicas: { desired: 2, updated: 2, ready: 2, available: 2 },
            rollout: { state: 'complete', message: '' },
          },
        ],
        pods: [pod()],
        warnings: [],
      },
    ],
    ...overrides,
  };
}

export function serviceRuntime(
  environments: K2EnvironmentRuntime[] = [environmentRuntime()],
): K2ServiceRuntime {
  return {
    entityRef: 'component:default/payment-gateway',
    kubernetesId: 'payment-gateway',
    environments,
    problems: [],
    generatedAt: new Date().toISOString(),
  };
}

export function recommendation(
  overrides: Partial<K2ReplicaRecommendation> = {},
): K2ReplicaRecommendation {
  return {
    pods: 2,
    cpuUsage: 1400,
    memoryUsage: 900 * 2 ** 20,
    cpuRequest: 250,
    memoryRequest: 512 * 2 ** 20,
    cpuTarget: 70,
    memoryTarget: 70,
    replicas: 8,
    ...overrides,
  };
}

export function historicalContainer(
  overrides: Partial<K2HistoricalContainer> = {},
): K2HistoricalContainer {
  return {
    id: 'hc-1',
    environment: 'test',
    cluster: 'test',
    namespace: 'payments-core',
    pod: 'payment-gateway-6c8f7d9b5-q7w2e',
    container: 'payment-gateway',
    node: 'test-node-2',
    ip: '10.42.0.9',
    image: `${IMAGE_REPOSITORY}:1.4.1`,
    release: 6,
    run: 0,
    startedAt: minutesAgo(120),
    endedAt: minutesAgo(27),
    end: 'replaced',
    message: 'Replaced by release #7',
    events: [],
    ...overrides,
  };
}
