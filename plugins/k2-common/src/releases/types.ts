/**
 * The release model: what a user asks for, what K2 renders from it, and the persisted
 * state of each release.
 *
 * A release targets one service in one environment; it rolls out in every cluster of
 * the environment the service runs in (replicas split by weight), in the service's
 * namespace. The four-tuple (service, environment, cluster, namespace) names each part.
 */

/** What a user (or a scaffolder action, or an API client) sends to release. */
export interface K2ReleaseInput {
  /** Environment name, e.g. `test`. */
  environment: string;
  /**
   * Full image reference with a tag or digest (`registry.example.com/team/app:1.4.2`),
   * or only a tag when the service declares `k2.io/image`.
   */
  image: string;
  /** Total replicas across the environment's clusters; defaults to the service's. */
  replicas?: number;
  /** Container limits; requests follow from the environment's overcommit ratios. */
  resources?: { cpu?: string; memory?: string };
  /**
   * The service's own environment variables (platform variables are added by K2). A
   * secret variable's value goes only into the Kubernetes Secret K2 keeps for the service
   * in the environment; without a value, the value already stored there is kept.
   */
  env?: K2EnvInput[];
  /**
   * Volumes to mount. Omitted: the running release's volume mounts are kept; an
   * empty list unmounts them all.
   */
  volumes?: K2VolumeMount[];
  /**
   * Config files to mount, each at one version. Omitted: the running release's
   * config file mounts are kept; an empty list unmounts them all.
   */
  configFiles?: K2ConfigFileMountInput[];
  /** Why this release: shown in history and to approvers. */
  message?: string;
}

/**
 * A volume (a PVC K2 created for the service in every cluster of the environment,
 * `<kubernetes-id>-<volume>`) mounted into the service's container.
 */
export interface K2VolumeMount {
  /** The volume's name on the Storage tab (`data`), not the PVC's. */
  volume: string;
  /** Absolute path in the container. */
  mountPath: string;
  readOnly: boolean;
  /** A directory inside the volume to mount instead of its root. */
  subPath?: string;
}

/** A config file mount as a release request gives it: which version, where. */
export interface K2ConfigFileMountInput {
  /** The config file's name on the Config tab (`application.yaml`). */
  file: string;
  /** The version to mount; the file's latest version when omitted. */
  version?: number;
  /** Absolute path of the file in the container (`/app/config/application.yaml`). */
  mountPath: string;
}

/**
 * A config file mount as the release spec records it: the immutable ConfigMap (or, for
 * a sensitive file, Secret) holding that version, so re-applying the spec — a
 * rollback — mounts exactly that content again. Always read-only, mounted as one
 * file (`subPath`), so the rest of the directory stays the image's.
 */
export interface K2ConfigFileMount {
  file: string;
  version: number;
  /** Name of the immutable object, `<kubernetes-id>-<file>-<content hash>`. */
  object: string;
  /** A Secret when true, a ConfigMap otherwise. */
  sensitive: boolean;
  /** Content hash of the version (the object name's suffix). */
  hash: string;
  mountPath: string;
}

/**
 * A variable as a release request gives it. `value` is required unless `secret` is
 * true; for a secret, a value replaces the stored one, and no value (or
 * {@link K2_SECRET_MASK}) keeps it.
 */
export interface K2EnvInput {
  name: string;
  value?: string;
  secret?: boolean;
}

/** A plain variable of a release spec. */
export interface K2PlainEnvVar {
  name: string;
  value: string;
  secret?: undefined;
}

/**
 * A secret variable of a release spec: the container reads it from the Kubernetes
 * Secret `<kubernetes-id>-k2-env` (key: the variable's name). The value itself is never
 * stored with the release nor returned by the API.
 */
export interface K2SecretEnvVar {
  name: string;
  secret: true;
  /**
   * Which value: a random marker K2 draws each time the value is replaced (never
   * derived from the value), so history shows when a secret changed.
   */
  version: string;
  /** Always {@link K2_SECRET_MASK}, in the database and in API responses. */
  value: string;
}

/** A variable of a release spec. */
export type K2EnvVar = K2PlainEnvVar | K2SecretEnvVar;

/**
 * A connection variable of a middleware instance bound to the service, as the
 * Middleware store gave it when the release was made: a plain value, or a key of the
 * instance's Secret copied into the service's namespace (`k2-mw-<instance>`), which the
 * container reads by reference. No secret value is ever part of a release.
 */
export interface K2BindingEnvVar {
  name: string;
  /** The instance's name in the environment. */
  instance: string;
  value?: string;
  secretKeyRef?: { name: string; key: string };
}

/** What the API shows instead of a secret variable's value. */
export const K2_SECRET_MASK = '••••••';

/** The name of the Secret K2 keeps the secret variables of a service in (per environment). */
export function secretEnvName(kubernetesId: string): string {
  return `${kubernetesId}-k2-env`;
}

/** One probe as K2 renders it (HTTP GET on the service's port). */
export interface K2ProbeSpec {
  path: string;
  initialDelaySeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
}

/** The complete, resolved spec of a release: everything the manifests are made from. */
export interface K2ReleaseSpec {
  /** `backstage.io/kubernetes-id`: names the workloads in every cluster. */
  name: string;
  namespace: string;
  image: string;
  /** Total replicas, and their split over the clusters by weight. */
  replicas: number;
  clusters: Array<{ name: string; replicas: number; weight: number }>;
  /** When set, the native HPA owns the replica count within these bounds. */
  autoscaling?: K2Autoscaling;
  resources: {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
  };
  /** The service's variables; K2 adds the platform variables when rendering. */
  env: K2EnvVar[];
  /**
   * Connection variables of the middleware instances bound to the service in the
   * environment, read from the Middleware store when the release was made; absent when
   * none is bound. A variable of `env` with the same name wins (and its binding is
   * left out), so a user can point one setting elsewhere. A rollback restores them as
   * they were.
   */
  bindings?: K2BindingEnvVar[];
  port: number;
  probes: {
    /** Required in production environments. */
    readiness?: K2ProbeSpec;
    liveness?: K2ProbeSpec;
    startup?: K2ProbeSpec;
  };
  /** Seconds the preStop hook waits so endpoints stop sending traffic before SIGTERM. */
  drainSeconds: number;
  terminationGracePeriodSeconds: number;
  /** Host directory mounted at `/log-dir` for the service's log files. */
  logDirectory: string;
  /** Volumes mounted into the container (empty for specs recorded before mounts). */
  volumes: K2VolumeMount[];
  /** Config files mounted into the container, each at a fixed version. */
  configFiles: K2ConfigFileMount[];
  language?: string;
  /** `JAVA_TOOL_OPTIONS` for Java services: container-aware heap sizing. */
  jvmOptions?: string;
  /** Service profile: node labels the pods must run on, and their priority class. */
  nodeSelector: Record<string, string>;
  priorityClassName?: string;
  /** Seconds after which a rollout that is not complete fails. */
  timeoutSeconds: number;
  /** Roll back to the previous successful release when this one fails. */
  autoRollback: boolean;
}

/** What a release does. A rollback is a release of an older release's spec. */
export type K2ReleaseKind = 'release' | 'rollback' | 'scale' | 'restart';

/** The persisted state machine of a release. */
export type K2ReleaseStatus =
  | 'pending-approval'
  | 'applying'
  | 'rolling-out'
  | 'succeeded'
  | 'failed'
  | 'timed-out'
  | 'rejected'
  /** Withdrawn by its requester or the service's owners while it waited for approval. */
  | 'cancelled'
  /** Waited for approval longer than `k2.releases.approvalTimeout`. */
  | 'expired';

/**
 * States in which a release is not finished: waiting for approval or in flight. At
 * most one release per target waits, and at most one is in flight
 * ({@link K2_IN_FLIGHT_RELEASE_STATUSES}); a waiting release does not block the other.
 */
export const K2_ACTIVE_RELEASE_STATUSES: readonly K2ReleaseStatus[] = [
  'pending-approval',
  'applying',
  'rolling-out',
];

/**
 * States in which a release occupies its target (K2 is changing what runs): at most
 * one per target. A release waiting for approval does not occupy it, so scale and
 * restart go through while it waits.
 */
export const K2_IN_FLIGHT_RELEASE_STATUSES: readonly K2ReleaseStatus[] = [
  'applying',
  'rolling-out',
];

/** Progress of a release in one cluster, from the watch cache. */
export interface K2ReleaseClusterProgress {
  cluster: string;
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  /** Pods of earlier releases still running. */
  old: number;
  /** What holds the rollout up, e.g. `ImagePullBackOff on payment-gateway-7d9…`. */
  message?: string;
  done: boolean;
}

/** A release as the API returns it. */
export interface K2Release {
  id: string;
  /** Entity ref of the service, e.g. `component:default/payment-gateway`. */
  service: string;
  environment: string;
  namespace: string;
  kind: K2ReleaseKind;
  status: K2ReleaseStatus;
  /** Monotonic per service and environment: release 1, 2, 3... */
  number: number;
  spec: K2ReleaseSpec;
  message?: string;
  /** Why it failed, timed out or was rejected. */
  reason?: string;
  /** For rollbacks: the release whose spec this one re-applies. */
  rollbackOf?: string;
  createdBy: string;
  createdAt: string;
  approvedBy?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Per-cluster progress, last observed. */
  progress: K2ReleaseClusterProgress[];
  /**
   * The digest (`sha256:…`) the registry gave for `spec.image` when K2 looked it up
   * before the release was made or approved; absent when its registry is not checked.
   */
  imageDigest?: string;
}

/** A page of release history, newest first. */
export interface K2ReleaseList {
  items: K2Release[];
  /** Pass as `before` to read the next (older) page. */
  nextCursor?: string;
  total: number;
}

/** Native HPA settings for a service in an environment. */
export interface K2Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** Target average CPU utilisation, percent of requests. */
  cpuUtilization?: number;
  /** Target average memory utilisation, percent of requests. */
  memoryUtilization?: number;
}

/** How many replicas the current load needs, and why. */
export interface K2ReplicaRecommendation {
  pods: number;
  /** Total usage across the environment's pods: millicores and bytes. */
  cpuUsage: number;
  memoryUsage: number;
  /** Per-pod requests of the current release: millicores and bytes. */
  cpuRequest: number;
  memoryRequest: number;
  /** Target utilisation, percent of requests (autoscaling's, else 70). */
  cpuTarget: number;
  memoryTarget: number;
  /** max(⌈CPU usage ÷ (target × request)⌉, the same for memory), at least 1. */
  replicas: number;
}

/**
 * Where a value that a release request leaves out comes from: the running release
 * (the replica count and autoscaling, since scaling is an action of its own), the
 * service's annotations (`k2.io/replicas.<env>`) or the environment's defaults.
 */
export type K2ReleaseValueSource = 'release' | 'annotation' | 'environment';

/** The value a field left out of a release request gets, and where it comes from. */
export interface K2ReleaseDefault<T> {
  value: T;
  source: K2ReleaseValueSource;
  /** The annotation it is read from, when `source` is `annotation`. */
  annotation?: string;
  /** The running release's number, when `source` is `release`. */
  release?: number;
}

/**
 * What a release to an environment gets for each value its request leaves out, as the
 * release engine resolves it; the release form shows these next to its fields.
 */
export interface K2ReleaseDefaults {
  environment: string;
  /** The running release (the newest that succeeded), if any. */
  current?: { id: string; number: number; image: string };
  /** `k2.io/image`: a bare tag is a tag of this repository. */
  imageRepository?: string;
  /** Total replicas across the environment's clusters. */
  replicas: K2ReleaseDefault<number>;
  /** Kept from the running release: the HPA sets the count within these bounds. */
  autoscaling?: K2Autoscaling;
  /** Container limits; requests follow from the environment's overcommit ratios. */
  cpu: K2ReleaseDefault<string>;
  memory: K2ReleaseDefault<string>;
}

/**
 * One value of a release spec that a release would change, by its path
 * (`image`, `resources.limits.cpu`, `env.LOG_LEVEL`, `clusters.prod-a.replicas`), with
 * the running and the new value as text; absent on the side that has none. Secret
 * values are masked: a replaced secret shows as a change of its `version`.
 */
export interface K2ReleaseChange {
  path: string;
  before?: string;
  after?: string;
}

/** What a release request would release, without releasing it. */
export interface K2ReleasePreview {
  environment: string;
  /** The number the release would get if it were made now. */
  number: number;
  /** The running release it is compared with; absent before the first release. */
  current?: K2Release;
  /** The spec the release would get, secret values masked. */
  spec: K2ReleaseSpec;
  /** What differs from the running release's spec; empty for a redeploy. */
  changes: K2ReleaseChange[];
  /** Whether the release would wait for approval. */
  approval: boolean;
  /** What the registry said of the image (absent from older backends). */
  imageCheck?: K2ReleaseImageCheck;
}

/**
 * What the registry said of a release's image: found, with its digest, or not checked
 * because its registry is not in `k2.registries`. (An image missing from a registry K2
 * checks is refused with 400.)
 */
export interface K2ReleaseImageCheck {
  status: 'found' | 'not-checked';
  /** The image's registry; `docker.io` when the image names none. */
  registry: string;
  /** The manifest's digest, when found. */
  digest?: string;
}
