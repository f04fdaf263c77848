import {
  ANNOTATION_ENTITY_REF,
  LABEL_MANAGED_BY,
  MANAGED_BY_K2,
} from '@internal/plugin-k2-common';
import type { KubeObject } from '@internal/plugin-k2-node';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { BuildJob } from '../types';
import { KubernetesBuildSettings } from './settings';

/** Label of every object of one build: the build's id (`k2_builds.id`). */
export const LABEL_BUILD_ID = 'k2.io/build-id';
/** Annotations of the Job: what it builds, for `kubectl describe`. */
export const ANNOTATION_BUILD_COMMIT = 'k2.io/build-commit';
export const ANNOTATION_BUILD_IMAGE = 'k2.io/build-image';

/** The containers of a build pod. */
export const SOURCE_CONTAINER = 'source';
export const BUILD_CONTAINER = 'build';

/** A Job may be active this long at most (Kubernetes has no bound; ours is 1 day). */
const MAX_DEADLINE_SECONDS = 86_400;
/** Finished Jobs (and their pods, ConfigMap and Secrets) are removed after an hour. */
const TTL_SECONDS_AFTER_FINISHED = 3600;
const JOB_NAME_MAX = 63;

/** The registry a build pushes to, with the credentials K2 has for it. */
export interface BuildRegistry {
  /** As image references name it (`k2.registries[].host`). */
  host: string;
  /** Where its API answers (`k2.registries[].url`), e.g. `http://127.0.0.1:7104`. */
  baseUrl: string;
  /** Plain HTTP or an untrusted certificate is allowed. */
  insecure: boolean;
  credentials?: { username: string; password: string };
}

/** The source host's token as git takes it: one `http.<url>.extraHeader` setting. */
export interface BuildSourceAuth {
  /** `http.https://github.com/.extraHeader` */
  configKey: string;
  /** `Authorization: Basic …`; goes into a Secret, never into the pod spec. */
  header: string;
}

export interface RenderBuildJobOptions {
  namespace: string;
  settings: KubernetesBuildSettings;
  registry: BuildRegistry;
  sourceAuth?: BuildSourceAuth;
  /** Apply the Job suspended, so no pod starts before its ConfigMap and Secrets exist. */
  suspend: boolean;
}

/** What one build applies: the Job first, then the objects it owns. */
export interface RenderedBuild {
  job: KubeObject;
  /** The Dockerfile's ConfigMap and the Secrets; {@link ownedBy} the Job once it has a uid. */
  dependents: KubeObject[];
  /** The image reference BuildKit pushes (the registry's address, not its name). */
  pushReference: string;
}

const SOURCE_SCRIPT = [
  'set -eu',
  'git -c advice.detachedHead=false clone --quiet --no-tags --depth=50 --single-branch --branch "$K2_SOURCE_REF" -- "$K2_SOURCE_URL" /workspace/source',
  'cd /workspace/source',
  'if ! git cat-file -e "$K2_SOURCE_COMMIT^{commit}" 2>/dev/null; then git fetch --quiet --depth=1 origin "$K2_SOURCE_COMMIT"; fi',
  'git -c advice.detachedHead=false checkout --quiet --detach "$K2_SOURCE_COMMIT"',
  'echo "Checked out $K2_SOURCE_COMMIT ($K2_SOURCE_REF) of $K2_SOURCE_URL"',
].join('\n');

/**
 * The Job's name: the service's id and the build's number, with the start of the
 * build's id so that two builds never share one, within the 63 characters a Job's
 * pods' `job-name` label allows.
 */
export function buildJobName(
  job: Pick<BuildJob, 'id' | 'number' | 'serviceId'>,
) {
  const suffix = `-b${job.number}-${job.id.replace(/-/g, '').slice(0, 6)}`;
  const prefix = job.serviceId
    .slice(0, JOB_NAME_MAX - suffix.length)
    .replace(/-+$/, '');
  return `${prefix}${suffix}`.toLowerCase();
}

/**
 * The image reference BuildKit pushes: the image as releases name it, with the
 * registry's host replaced by the address of its API when they differ (a registry
 * named `registry.northwind.example` served at `127.0.0.1:7104`).
 *
 * @throws Error when the image is not in that registry (the service checks this first)
 */
export function pushReferenceOf(image: string, registry: BuildRegistry) {
  if (!image.startsWith(`${registry.host}/`)) {
    throw new Error(
      `The image ${image} is not in the registry ${registry.host}`,
    );
  }
  const address = new URL(registry.baseUrl).host;
  return `${address}${image.slice(registry.host.length)}`;
}

function base64(text: string) {
  return Buffer.from(text).toString('base64');
}

/** The `.dockerconfigjson` of the target registry, under both its name and address. */
function dockerConfigJson(registry: BuildRegistry): string {
  const auths: Record<string, { auth: string }> = {};
  if (registry.credentials) {
    const { username, password } = registry.credentials;
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    auths[registry.host] = { auth };
    auths[new URL(registry.baseUrl).host] = { auth };
  }
  return JSON.stringify({ auths });
}

/**
 * The Kubernetes objects of one build, as ADR 0003 sets them out: a ConfigMap with
 * the Dockerfile, a `kubernetes.io/dockerconfigjson` Secret with the target registry's
 * credentials (and one with the source host's token when it has one), and a Job of one
 * pod: an init container clones the commit into an `emptyDir` with
 * `settings.gitImage`, then BuildKit rootless (`settings.image`,
 * `buildctl-daemonless.sh`) builds it with the Dockerfile frontend and pushes the
 * image. Never retried (`backoffLimit: 0`), ended after the build's timeout
 * (`activeDeadlineSeconds`), removed an hour after it finished. Pure: no I/O.
 */
export function renderBuildJob(
  job: BuildJob,
  options: RenderBuildJobOptions,
): RenderedBuild {
  const { namespace, settings, registry, sourceAuth } = options;
  const name = buildJobName(job);
  const labels = {
    [LABEL_MANAGED_BY]: MANAGED_BY_K2,
    [LABEL_BUILD_ID]: job.id,
  };
  const names = {
    dockerfile: `${name}-dockerfile`,
    registry: `${name}-registry`,
    source: `${name}-source`,
  };
  const pushReference = pushReferenceOf(job.target.image, registry);
  const output = [
    'type=image',
    `name=${pushReference}`,
    'push=true',
    ...(registry.insecure ? ['registry.insecure=true'] : []),
  ].join(',');

  const configMap: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.dockerfile, namespace, labels },
    data: { Dockerfile: job.dockerfile },
  };
  const registrySecret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: names.registry, namespace, labels },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': base64(dockerConfigJson(registry)) },
  };
  const sourceSecret: KubeObject | undefined = sourceAuth && {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: names.source, namespace, labels },
    type: 'Opaque',
    data: { header: base64(sourceAuth.header) },
  };

  const sourceEnv = [
    { name: 'K2_SOURCE_URL', value: job.source.url },
    { name: 'K2_SOURCE_REF', value: job.source.ref },
    { name: 'K2_SOURCE_COMMIT', value: job.source.commit },
    { name: 'HOME', value: '/tmp' },
    { name: 'GIT_TERMINAL_PROMPT', value: '0' },
    { name: 'GIT_CONFIG_NOSYSTEM', value: '1' },
    ...(sourceAuth
      ? [
          { name: 'GIT_CONFIG_COUNT', value: '1' },
          { name: 'GIT_CONFIG_KEY_0', value: sourceAuth.configKey },
          {
            name: 'GIT_CONFIG_VALUE_0',
            valueFrom: { secretKeyRef: { name: names.source, key: 'header' } },
          },
        ]
      : []),
  ];

  const jobObject: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      labels,
      annotations: {
        [ANNOTATION_ENTITY_REF]: job.service,
        [ANNOTATION_BUILD_COMMIT]: job.source.commit,
        [ANNOTATION_BUILD_IMAGE]: job.target.image,
      },
    },
    spec: {
      suspend: options.suspend,
      backoffLimit: 0,
      activeDeadlineSeconds: Math.min(
        MAX_DEADLINE_SECONDS,
        Math.max(1, Math.ceil(job.timeoutMs / 1000)),
      ),
      ttlSecondsAfterFinished: TTL_SECONDS_AFTER_FINISHED,
      template: {
        metadata: {
          labels,
          annotations: {
            ...settings.podAnnotations,
            // Clusters before 1.30 read AppArmor from this annotation only.
            [`container.apparmor.security.beta.kubernetes.io/${BUILD_CONTAINER}`]:
              'unconfined',
          },
        },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            fsGroup: 1000,
          },
          initContainers: [
            {
              name: SOURCE_CONTAINER,
              image: settings.gitImage,
              command: ['sh', '-c', SOURCE_SCRIPT],
              env: sourceEnv,
              resources: {
                requests: { cpu: '100m', memory: '128Mi' },
                limits: { memory: '512Mi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
            },
          ],
          containers: [
            {
              name: BUILD_CONTAINER,
              image: settings.image,
              command: ['buildctl-daemonless.sh'],
              args: [
                'build',
                '--progress=plain',
                '--frontend=dockerfile.v0',
                '--local',
                'context=/workspace/source',
                '--local',
                'dockerfile=/k2/dockerfile',
                '--output',
                output,
              ],
              env: [
                {
                  name: 'BUILDKITD_FLAGS',
                  value: '--oci-worker-no-process-sandbox',
                },
                { name: 'DOCKER_CONFIG', value: '/k2/docker' },
              ],
              resources: settings.resources,
              securityContext: {
                runAsUser: 1000,
                runAsGroup: 1000,
                // BuildKit's user namespaces need both.
                seccompProfile: { type: 'Unconfined' },
                appArmorProfile: { type: 'Unconfined' },
              },
              volumeMounts: [
                { name: 'workspace', mountPath: '/workspace' },
                {
                  name: 'dockerfile',
                  mountPath: '/k2/dockerfile',
                  readOnly: true,
                },
                {
                  name: 'docker-config',
                  mountPath: '/k2/docker',
                  readOnly: true,
                },
                {
                  name: 'buildkitd',
                  mountPath: '/home/user/.local/share/buildkit',
                },
              ],
            },
          ],
          volumes: [
            { name: 'workspace', emptyDir: {} },
            { name: 'buildkitd', emptyDir: {} },
            {
              name: 'dockerfile',
              configMap: { name: names.dockerfile },
            },
            {
              name: 'docker-config',
              secret: {
                secretName: names.registry,
                items: [{ key: '.dockerconfigjson', path: 'config.json' }],
              },
            },
          ],
        },
      },
    },
  };

  return {
    job: jobObject,
    dependents: [
      configMap,
      registrySecret,
      ...(sourceSecret ? [sourceSecret] : []),
    ],
    pushReference,
  };
}

/** The object owned by the applied Job, so that it goes when the Job does. */
export function ownedBy(object: KubeObject, owner: KubeObject): KubeObject {
  if (!owner.metadata.uid) {
    throw new Error(`Job ${owner.metadata.name} has no uid yet`);
  }
  return {
    ...object,
    metadata: {
      ...object.metadata,
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
        },
      ],
    },
  };
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Job,
  ConfigMap,
  Secret,
};

/**
 * Validates objects against the Kubernetes schemas (`kubernetes-models`) before they
 * are applied. @throws Error naming the object and the schema's complaint
 */
export function validateBuildObjects(objects: KubeObject[]) {
  for (const object of objects) {
    const Model = MODELS[object.kind ?? ''];
    const model = Model && new Model(object as any);
    if (!model) {
      throw new Error(`A build does not apply objects of kind ${object.kind}`);
    }
    try {
      model.validate();
    } catch (error) {
      throw new Error(
        `The build's ${object.kind} ${object.metadata.name} is not valid: ${
          (error as Error).message
        }`,
      );
    }
  }
}
