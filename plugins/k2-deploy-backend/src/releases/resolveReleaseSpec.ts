import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  K2EnvironmentModel,
  K2ReleaseInput,
  K2ReleaseSpec,
  K2ServiceSpec,
  readServiceSpec,
  formatCpu,
  formatMemory,
  IMAGE_TAG_PATTERN,
  parseCpuMillicores,
  parseImageReference,
  parseMemoryBytes,
  ImageReferenceError,
} from '@internal/plugin-k2-common';

/** Replicas a release may ask for in total. */
export const MAX_REPLICAS = 1000;
const MAX_ENV_VARS = 100;
const MAX_ENV_VALUE = 32 * 1024;
const MAX_MESSAGE = 500;

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Variables K2 sets on every container; a release may not set them itself. */
export const PLATFORM_ENV_VARS = [
  'K2_SERVICE',
  'K2_ENVIRONMENT',
  'K2_CLUSTER',
  'K2_NAMESPACE',
  'K2_VERSION',
  'K2_RELEASE',
  'POD_NAME',
  'POD_IP',
  'NODE_NAME',
  'JAVA_TOOL_OPTIONS',
];

/** Container-aware heap sizing for Java services. */
export const JVM_OPTIONS =
  '-XX:+UseContainerSupport -XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=50.0 -XX:+ExitOnOutOfMemoryError';

const INPUT_FIELDS = [
  'environment',
  'image',
  'replicas',
  'resources',
  'env',
  'message',
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a release request's shape and values. Every message names the field, so the
 * API and the UI can show it as it is.
 *
 * @throws InputError on the first problem found
 */
export function parseReleaseInput(body: unknown): K2ReleaseInput {
  if (!isObject(body)) {
    throw new InputError('The release request must be a JSON object');
  }
  const unknown = Object.keys(body).filter(k => !INPUT_FIELDS.includes(k));
  if (unknown.length) {
    throw new InputError(
      `Unknown field(s) ${unknown
        .map(k => `'${k}'`)
        .join(', ')}; a release takes ${INPUT_FIELDS.join(', ')}`,
    );
  }
  const { environment, image, replicas, resources, env, message } = body;
  if (typeof environment !== 'string' || !environment) {
    throw new InputError('\'environment\' is required, e.g. "test"');
  }
  if (typeof image !== 'string' || !image.trim()) {
    throw new InputError(
      "'image' is required: a full reference such as registry.example.com/team/app:1.4.2, or a tag",
    );
  }
  if (
    replicas !== undefined &&
    (typeof replicas !== 'number' ||
      !Number.isInteger(replicas) ||
      replicas < 1 ||
      replicas > MAX_REPLICAS)
  ) {
    throw new InputError(
      `'replicas' must be a whole number from 1 to ${MAX_REPLICAS}`,
    );
  }
  if (resources !== undefined) {
    if (!isObject(resources)) {
      throw new InputError(
        '\'resources\' must be an object such as { "cpu": "2", "memory": "2Gi" }',
      );
    }
    const extra = Object.keys(resources).filter(
      k => k !== 'cpu' && k !== 'memory',
    );
    if (extra.length) {
      throw new InputError(
        `'resources' takes cpu and memory only, not ${extra.join(', ')}`,
      );
    }
    if (
      resources.cpu !== undefined &&
      (typeof resources.cpu !== 'string' || !parseCpuMillicores(resources.cpu))
    ) {
      throw new InputError(
        `'resources.cpu' must be a CPU quantity such as "2", "0.5" or "500m", got ${JSON.stringify(
          resources.cpu,
        )}`,
      );
    }
    if (
      resources.memory !== undefined &&
      (typeof resources.memory !== 'string' ||
        (parseMemoryBytes(resources.memory) ?? 0) < 2 ** 20)
    ) {
      throw new InputError(
        `'resources.memory' must be a memory quantity of at least 1Mi such as "512Mi" or "2Gi", got ${JSON.stringify(
          resources.memory,
        )}`,
      );
    }
  }
  if (env !== undefined) {
    if (!Array.isArray(env)) {
      throw new InputError(
        '\'env\' must be a list of { "name": ..., "value": ... }',
      );
    }
    if (env.length > MAX_ENV_VARS) {
      throw new InputError(`'env' may hold at most ${MAX_ENV_VARS} variables`);
    }
    const seen = new Set<string>();
    env.forEach((item, index) => {
      const at = `'env[${index}]'`;
      if (
        !isObject(item) ||
        typeof item.name !== 'string' ||
        typeof item.value !== 'string' ||
        Object.keys(item).some(k => k !== 'name' && k !== 'value')
      ) {
        throw new InputError(
          `${at} must be { "name": string, "value": string }`,
        );
      }
      if (!ENV_NAME.test(item.name)) {
        throw new InputError(
          `${at}: '${item.name}' is not a valid variable name (letters, digits, '_', '-', '.'; not starting with a digit)`,
        );
      }
      if (PLATFORM_ENV_VARS.includes(item.name)) {
        throw new InputError(
          `${at}: ${item.name} is set by K2 on every container and cannot be overridden`,
        );
      }
      if (seen.has(item.name)) {
        throw new InputError(`${at}: ${item.name} is set twice`);
      }
      seen.add(item.name);
      if (item.value.length > MAX_ENV_VALUE) {
        throw new InputError(`${at}: the value of ${item.name} exceeds 32 KiB`);
      }
    });
  }
  if (
    message !== undefined &&
    (typeof message !== 'string' || message.length > MAX_MESSAGE)
  ) {
    throw new InputError(
      `'message' must be text of at most ${MAX_MESSAGE} characters`,
    );
  }
  return {
    environment,
    image: image.trim(),
    replicas,
    resources: resources as K2ReleaseInput['resources'],
    env: env as K2ReleaseInput['env'],
    message: message?.trim() || undefined,
  };
}

/**
 * Splits replicas over clusters by weight, largest remainder first, so the parts add
 * up to the total and no cluster is off by more than one from its share.
 */
export function splitReplicas(
  total: number,
  clusters: Array<{ name: string; weight: number }>,
): Array<{ name: string; replicas: number; weight: number }> {
  const weights = clusters.reduce((sum, c) => sum + c.weight, 0);
  const shares = clusters.map((c, index) => {
    const exact = (total * c.weight) / weights;
    return {
      name: c.name,
      weight: c.weight,
      index,
      replicas: Math.floor(exact),
      rest: exact % 1,
    };
  });
  let left = total - shares.reduce((sum, s) => sum + s.replicas, 0);
  for (const share of [...shares].sort(
    (a, b) => b.rest - a.rest || a.index - b.index,
  )) {
    if (left-- <= 0) break;
    share.replicas += 1;
  }
  return shares.map(({ name, replicas, weight }) => ({
    name,
    replicas,
    weight,
  }));
}

/** The service's settings and target for an environment, or a clear 400. */
export function resolveTarget(
  entity: Entity,
  model: K2EnvironmentModel,
  environment: string,
): { service: K2ServiceSpec; target: K2ServiceSpec['targets'][number] } {
  const service = readServiceSpec(entity, model);
  const target = service.targets.find(t => t.environment.name === environment);
  if (!target) {
    const known = service.targets.map(t => t.environment.name);
    throw new InputError(
      `${
        entity.metadata.name
      } does not run in '${environment}'; its environments: ${
        known.join(', ') || 'none (set k2.io/environments)'
      }`,
    );
  }
  return { service, target };
}

/**
 * The image a release runs: a bare tag (no '/', ':' or '@') is a tag of the service's
 * k2.io/image repository; anything else is a full reference. Either way it must name a
 * tag or a digest: K2 does not release an implicit `latest`, which could change under a
 * running release and make rollback meaningless.
 */
function resolveImage(
  requested: string,
  service: K2ServiceSpec,
  entity: Entity,
): string {
  let image = requested;
  if (!/[:/@]/.test(image)) {
    if (!IMAGE_TAG_PATTERN.test(image)) {
      throw new InputError(`'image': '${image}' is not a valid tag`);
    }
    if (!service.image) {
      throw new InputError(
        `'image': '${image}' is only a tag, and ${entity.metadata.name} declares no k2.io/image repository; give the full image reference`,
      );
    }
    image = `${service.image}:${image}`;
  }
  try {
    if (!parseImageReference(image).implicitTag) return image;
  } catch (error) {
    if (error instanceof ImageReferenceError) {
      throw new InputError(`'image': ${error.message}`);
    }
    throw error;
  }
  throw new InputError(
    `'image': '${image}' names no tag or digest; give one, such as registry.example.com/team/app:1.4.2`,
  );
}

/**
 * Resolves a release request into the complete spec K2 renders and stores: every value
 * the request leaves out comes from the service's annotations and the environment's
 * defaults.
 *
 * @throws InputError when the request cannot be released as asked
 */
export function resolveReleaseSpec(
  input: K2ReleaseInput,
  entity: Entity,
  model: K2EnvironmentModel,
): K2ReleaseSpec {
  const { service, target } = resolveTarget(entity, model, input.environment);
  const environment = target.environment;

  const image = resolveImage(input.image, service, entity);

  const limitCpu = parseCpuMillicores(
    input.resources?.cpu ?? environment.defaults.resources.cpu,
  )!;
  const limitMemory = parseMemoryBytes(
    input.resources?.memory ?? environment.defaults.resources.memory,
  )!;
  const { overcommit } = environment.defaults;
  const replicas = input.replicas ?? target.replicas;
  if (replicas < 1) {
    throw new InputError(
      `${entity.metadata.name} has 0 replicas in '${environment.name}' (k2.io/replicas.${environment.name}); give 'replicas'`,
    );
  }

  const readiness = {
    path: service.healthPath,
    initialDelaySeconds: 3,
    periodSeconds: 5,
    failureThreshold: 3,
    timeoutSeconds: 2,
  };
  const drainSeconds = environment.release.drainSeconds;
  return {
    name: service.kubernetesId,
    namespace: target.namespace,
    image,
    replicas,
    clusters: splitReplicas(replicas, target.clusters),
    resources: {
      limits: { cpu: formatCpu(limitCpu), memory: formatMemory(limitMemory) },
      requests: {
        cpu: formatCpu(Math.max(1, Math.ceil(limitCpu / overcommit.cpu))),
        memory: formatMemory(
          Math.max(2 ** 20, limitMemory / overcommit.memory),
        ),
      },
    },
    env: input.env ?? [],
    port: service.port,
    probes: {
      readiness,
      liveness: { ...readiness, initialDelaySeconds: 0, periodSeconds: 10 },
      // Liveness starts once the startup probe passes: slow starters get 5 minutes.
      startup: { ...readiness, initialDelaySeconds: 0, failureThreshold: 60 },
    },
    drainSeconds,
    // The drain, then time for the process to shut down after SIGTERM.
    terminationGracePeriodSeconds: drainSeconds + 30,
    logDirectory: `/log-dir/k2-logs/${target.namespace}/${service.kubernetesId}`,
    language: service.language,
    jvmOptions: service.language === 'java' ? JVM_OPTIONS : undefined,
    nodeSelector: service.nodeSelector,
    priorityClassName: service.priorityClassName,
    timeoutSeconds: environment.release.timeoutSeconds,
    autoRollback: environment.release.autoRollback,
  };
}
