import { Config } from '@backstage/config';
import {
  K2ConfigError,
  parseCpuMillicores,
  parseMemoryBytes,
} from '@internal/plugin-k2-common';

/** `k2.builds.kubernetes` as the runner uses it (the queue reads `concurrency`), read once at start. */
export interface KubernetesBuildSettings {
  /** BuildKit rootless, pinned. */
  image: string;
  /** An image with `git` and `sh`, for the clone. */
  gitImage: string;
  /** Where build Jobs run when an environment's `builds.namespace` does not say. */
  namespace: string;
  /** Of the build container. */
  resources: {
    requests: { cpu: string; memory: string };
    limits: { cpu?: string; memory: string };
  };
  /** Added to every build pod, e.g. `sidecar.istio.io/inject: "false"`. */
  podAnnotations: Record<string, string>;
}

export const DEFAULT_KUBERNETES_BUILD_SETTINGS: KubernetesBuildSettings = {
  image: 'moby/buildkit:v0.17.3-rootless',
  gitImage: 'alpine/git:2.45.2',
  namespace: 'k2-builds',
  resources: {
    requests: { cpu: '500m', memory: '1Gi' },
    limits: { cpu: '2', memory: '4Gi' },
  },
  podAnnotations: {},
};

const KEY = 'k2.builds.kubernetes';
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `name:tag` or `name@sha256:…`, no spaces: what a pod's `image` takes. */
const IMAGE = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[0-9a-f]{64})?$/;

function read<T>(key: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    throw new K2ConfigError(`${KEY}.${key}`, (error as Error).message);
  }
}

function image(config: Config, key: string, fallback: string) {
  const value = read(key, () => config.getOptionalString(key)) ?? fallback;
  if (!IMAGE.test(value)) {
    throw new K2ConfigError(
      `${KEY}.${key}`,
      `'${value}' is not an image reference`,
    );
  }
  return value;
}

function cpu(config: Config, key: string, fallback?: string) {
  const value = read(key, () => config.getOptionalString(key)) ?? fallback;
  if (value !== undefined && !parseCpuMillicores(value)) {
    throw new K2ConfigError(
      `${KEY}.${key}`,
      `'${value}' is not a CPU quantity such as '2' or '500m'`,
    );
  }
  return value;
}

function memory(config: Config, key: string, fallback: string) {
  const value = read(key, () => config.getOptionalString(key)) ?? fallback;
  if (!parseMemoryBytes(value)) {
    throw new K2ConfigError(
      `${KEY}.${key}`,
      `'${value}' is not a memory quantity such as '4Gi' or '512Mi'`,
    );
  }
  return value;
}

/**
 * Reads `k2.builds.kubernetes`; every key has a default.
 *
 * @throws K2ConfigError naming the first bad key
 */
export function readKubernetesBuildSettings(
  root: Config,
): KubernetesBuildSettings {
  const defaults = DEFAULT_KUBERNETES_BUILD_SETTINGS;
  const section = root.getOptionalConfig(KEY);
  if (!section) return { ...defaults, podAnnotations: {} };
  const namespace =
    read('namespace', () => section.getOptionalString('namespace')) ??
    defaults.namespace;
  if (!NAMESPACE.test(namespace)) {
    throw new K2ConfigError(
      `${KEY}.namespace`,
      `'${namespace}' is not a namespace name (a lowercase DNS label)`,
    );
  }
  // Annotation keys hold dots and slashes, so the section is read whole.
  const annotations = section.getOptional('podAnnotations') ?? {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new K2ConfigError(
      `${KEY}.podAnnotations`,
      'must be a map of annotation names to strings',
    );
  }
  const podAnnotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string') {
      throw new K2ConfigError(
        `${KEY}.podAnnotations`,
        `the value of '${key}' must be a string (quote it)`,
      );
    }
    podAnnotations[key] = value;
  }
  const limitCpu = cpu(
    section,
    'resources.limits.cpu',
    defaults.resources.limits.cpu,
  );
  return {
    image: image(section, 'image', defaults.image),
    gitImage: image(section, 'gitImage', defaults.gitImage),
    namespace,
    resources: {
      requests: {
        cpu: cpu(
          section,
          'resources.requests.cpu',
          defaults.resources.requests.cpu,
        )!,
        memory: memory(
          section,
          'resources.requests.memory',
          defaults.resources.requests.memory,
        ),
      },
      limits: {
        ...(limitCpu ? { cpu: limitCpu } : {}),
        memory: memory(
          section,
          'resources.limits.memory',
          defaults.resources.limits.memory,
        ),
      },
    },
    podAnnotations,
  };
}
