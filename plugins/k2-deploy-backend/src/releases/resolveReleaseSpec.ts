import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  K2_JVM_OPTIONS,
  K2_SECRET_MASK,
  K2Autoscaling,
  K2ReleaseDefault,
  K2ReleaseInput,
  K2ReleaseSpec,
  K2ServiceSpec,
  K2ServiceTarget,
  formatCpu,
  formatMemory,
  IMAGE_TAG_PATTERN,
  parseCpuMillicores,
  parseImageReference,
  parseMemoryBytes,
  ImageReferenceError,
} from '@internal/plugin-k2-common';
import { K2ResolvedService } from '@internal/plugin-k2-node';
import { assertWithinLimits } from './limits';

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

/**
 * Checks what the API contract (`src/schema/openapi.yaml`, which every request passes
 * first) cannot say about a release request: quantities K2 can run, variables K2 does
 * not set itself, each variable once. Every message names the field.
 *
 * @throws InputError on the first problem found
 */
export function parseReleaseInput(input: K2ReleaseInput): K2ReleaseInput {
  const { resources, env } = input;
  if (resources?.cpu !== undefined && !parseCpuMillicores(resources.cpu)) {
    throw new InputError(
      `'resources.cpu' must be a CPU quantity such as "2", "0.5" or "500m", got ${JSON.stringify(
        resources.cpu,
      )}`,
    );
  }
  if (
    resources?.memory !== undefined &&
    (parseMemoryBytes(resources.memory) ?? 0) < 2 ** 20
  ) {
    throw new InputError(
      `'resources.memory' must be a memory quantity of at least 1Mi such as "512Mi" or "2Gi", got ${JSON.stringify(
        resources.memory,
      )}`,
    );
  }
  const seen = new Set<string>();
  env?.forEach((item, index) => {
    const at = `'env[${index}]'`;
    if (PLATFORM_ENV_VARS.includes(item.name)) {
      throw new InputError(
        `${at}: ${item.name} is set by K2 on every container and cannot be overridden`,
      );
    }
    if (seen.has(item.name)) {
      throw new InputError(`${at}: ${item.name} is set twice`);
    }
    if (!item.secret && item.value === undefined) {
      throw new InputError(
        `'env[${index}].value' is required unless 'secret' is true`,
      );
    }
    seen.add(item.name);
  });
  return {
    ...input,
    image: input.image.trim(),
    message: input.message?.trim() || undefined,
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

/**
 * The image a release runs: a bare tag (no '/', ':' or '@') is a tag of the service's
 * k2.io/image repository; anything else is a full reference. Either way it must name a
 * tag or a digest: K2 does not release an implicit `latest`, which could change under a
 * running release and make rollback meaningless.
 */
export function resolveImage(
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

/** The running release of a target, as far as a new release starts from it. */
export interface RunningRelease {
  number: number;
  spec: Pick<K2ReleaseSpec, 'replicas' | 'autoscaling'>;
}

/**
 * What a release to `target` gets for each value its request leaves out. The replica
 * count is the running release's, since scaling is an action of its own (with its
 * autoscaling, which a release never changes); before the first release it is
 * `k2.io/replicas.<env>`, else the environment's default. CPU and memory limits are
 * the environment's defaults. {@link resolveReleaseSpec} and the release engine take
 * these values from here, and the release form shows them.
 */
export function releaseDefaults(
  target: K2ServiceTarget,
  running?: RunningRelease,
): {
  replicas: K2ReleaseDefault<number>;
  autoscaling?: K2Autoscaling;
  cpu: K2ReleaseDefault<string>;
  memory: K2ReleaseDefault<string>;
} {
  const { resources } = target.environment.defaults;
  let replicas: K2ReleaseDefault<number> = {
    value: target.replicas,
    source: 'environment',
  };
  if (running) {
    replicas = {
      value: running.spec.replicas,
      source: 'release',
      release: running.number,
    };
  } else if (target.replicasAnnotation) {
    replicas = {
      value: target.replicas,
      source: 'annotation',
      annotation: target.replicasAnnotation,
    };
  }
  return {
    replicas,
    autoscaling: running?.spec.autoscaling,
    // The model's defaults are checked quantities; shown as K2 stores limits.
    cpu: {
      value: formatCpu(parseCpuMillicores(resources.cpu)!),
      source: 'environment',
    },
    memory: {
      value: formatMemory(parseMemoryBytes(resources.memory)!),
      source: 'environment',
    },
  };
}

/**
 * Resolves a release request into the complete spec K2 renders and stores: every value
 * the request leaves out comes from the service's annotations and the environment's
 * defaults ({@link releaseDefaults} without a running release; the engine then keeps
 * the running release's replica count and autoscaling). `mounts` are the volumes and
 * config files as `ReleaseMountResolver` resolved them against the clusters and the
 * Config backend; none for a workload K2 adopts.
 *
 * @throws InputError when the request cannot be released as asked
 */
export function resolveReleaseSpec(
  input: K2ReleaseInput,
  resolved: K2ResolvedService,
  target: K2ServiceTarget,
  mounts: Pick<K2ReleaseSpec, 'volumes' | 'configFiles'> = {
    volumes: [],
    configFiles: [],
  },
): K2ReleaseSpec {
  const { entity, spec: service } = resolved;
  const environment = target.environment;

  const image = resolveImage(input.image, service, entity);

  const defaults = releaseDefaults(target);
  const limitCpu = parseCpuMillicores(
    input.resources?.cpu ?? defaults.cpu.value,
  )!;
  const limitMemory = parseMemoryBytes(
    input.resources?.memory ?? defaults.memory.value,
  )!;
  const { overcommit } = environment.defaults;
  const replicas = input.replicas ?? defaults.replicas.value;
  if (replicas < 1) {
    throw new InputError(
      `${entity.metadata.name} has 0 replicas in '${environment.name}' (k2.io/replicas.${environment.name}); give 'replicas'`,
    );
  }
  assertWithinLimits(environment, {
    cpu: input.resources?.cpu
      ? { millicores: limitCpu, shown: input.resources.cpu }
      : undefined,
    memory: input.resources?.memory
      ? { bytes: limitMemory, shown: input.resources.memory }
      : undefined,
    replicas: {
      count: replicas,
      field:
        input.replicas !== undefined
          ? 'replicas'
          : `k2.io/replicas.${environment.name}`,
    },
    placement: service,
  });

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
    // Secret variables are resolved against the cluster by ReleaseSecrets.
    env: (input.env ?? []).map(e =>
      e.secret
        ? {
            name: e.name,
            secret: true as const,
            version: 'unknown',
            value: K2_SECRET_MASK,
          }
        : { name: e.name, value: e.value ?? '' },
    ),
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
    volumes: mounts.volumes,
    configFiles: mounts.configFiles,
    language: service.language,
    jvmOptions: service.language === 'java' ? K2_JVM_OPTIONS : undefined,
    nodeSelector: service.nodeSelector,
    priorityClassName: service.priorityClassName,
    timeoutSeconds: environment.release.timeoutSeconds,
    autoRollback: environment.release.autoRollback,
  };
}
