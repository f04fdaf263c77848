import {
  ANNOTATION_ENTITY_REF,
  K2BindingEnvVar,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_RELEASE_ID,
  ANNOTATION_RESTARTED_AT,
  imageVersion,
  K2EnvVar,
  K2ProbeSpec,
  K2ReleaseSpec,
  LABEL_ENVIRONMENT,
  LABEL_MANAGED_BY,
  LABEL_RELEASE,
  LABEL_SERVICE,
  LABEL_TRAFFIC,
  MANAGED_BY_K2,
  parseImageReference,
  secretEnvName,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';
import { volumeClaimName } from './ReleaseMountResolver';
import { splitReplicas } from './resolveReleaseSpec';

/** Where one cluster's share of a release goes. */
export interface RenderTarget {
  /** Entity ref of the service. */
  service: string;
  environment: string;
  cluster: string;
  /** This cluster's replicas. */
  replicas: number;
  /** The release whose pod template this is (a scale keeps the current one). */
  releaseId: string;
  releaseNumber: number;
  /** Set by a restart: a new value rolls every pod. */
  restartedAt?: string;
  /**
   * The pod selector of the Deployment that runs in the cluster, when it is not K2's
   * own (a workload K2 adopted). A Deployment's selector cannot change, so K2 keeps it
   * and gives the pods its labels as well as K2's.
   */
  keptSelector?: Record<string, string>;
}

/** Labels that select the service's pods in an environment; never change. */
export function selectorLabels(
  spec: Pick<K2ReleaseSpec, 'name'>,
  environment: string,
) {
  return {
    [LABEL_SERVICE]: spec.name,
    [LABEL_ENVIRONMENT]: environment,
  };
}

/** The labels of every object K2 makes for a service in an environment. */
export function k2Labels(
  spec: Pick<K2ReleaseSpec, 'name'>,
  environment: string,
) {
  return {
    ...selectorLabels(spec, environment),
    [ANNOTATION_KUBERNETES_ID]: spec.name,
    'app.kubernetes.io/name': spec.name,
    [LABEL_MANAGED_BY]: MANAGED_BY_K2,
  };
}

/**
 * A variable as the container gets it: a secret one by reference to the key of its
 * name in the service's env Secret.
 */
function renderEnv(spec: K2ReleaseSpec, variable: K2EnvVar) {
  return variable.secret
    ? {
        name: variable.name,
        valueFrom: {
          secretKeyRef: { name: secretEnvName(spec.name), key: variable.name },
        },
      }
    : { name: variable.name, value: variable.value };
}

/**
 * A connection variable of bound middleware as the container gets it: a plain value,
 * or by reference to the key of the instance's Secret in the service's namespace.
 */
function renderBinding(variable: K2BindingEnvVar) {
  return variable.secretKeyRef
    ? {
        name: variable.name,
        valueFrom: { secretKeyRef: { ...variable.secretKeyRef } },
      }
    : { name: variable.name, value: variable.value ?? '' };
}

function probe(p: K2ProbeSpec | undefined) {
  return (
    p && {
      httpGet: { path: p.path, port: 'http' },
      initialDelaySeconds: p.initialDelaySeconds,
      periodSeconds: p.periodSeconds,
      failureThreshold: p.failureThreshold,
      timeoutSeconds: p.timeoutSeconds,
    }
  );
}

/**
 * The objects a release applies to one cluster, in apply order: the namespace, the
 * Service, the Deployment and, when autoscaling is on, its HPA.
 *
 * Lossless by construction: no pod is taken down before its replacement is ready
 * (maxUnavailable 0), every pod has a readiness probe, and a terminating pod keeps
 * serving for `drainSeconds` (preStop) so endpoints drop it before it stops.
 */
export function renderManifests(
  spec: K2ReleaseSpec,
  target: RenderTarget,
): KubeObject[] {
  const selector = selectorLabels(spec, target.environment);
  const common = k2Labels(spec, target.environment);
  const platformEnv = [
    { name: 'K2_SERVICE', value: spec.name },
    { name: 'K2_ENVIRONMENT', value: target.environment },
    { name: 'K2_CLUSTER', value: target.cluster },
    { name: 'K2_NAMESPACE', value: spec.namespace },
    {
      name: 'K2_VERSION',
      value: imageVersion(parseImageReference(spec.image)),
    },
    { name: 'K2_RELEASE', value: String(target.releaseNumber) },
    ...(
      [
        ['POD_NAME', 'metadata.name'],
        ['POD_IP', 'status.podIP'],
        ['NODE_NAME', 'spec.nodeName'],
      ] as const
    ).map(([name, fieldPath]) => ({
      name,
      valueFrom: { fieldRef: { fieldPath } },
    })),
    ...(spec.jvmOptions
      ? [{ name: 'JAVA_TOOL_OPTIONS', value: spec.jvmOptions }]
      : []),
  ];

  const mounts = renderMounts(spec);

  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: spec.namespace },
  };

  // The owning service, so a newcomer claiming the same namespace and id is refused.
  const stamp = { [ANNOTATION_ENTITY_REF]: target.service };

  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: common,
      annotations: stamp,
    },
    spec: {
      type: 'ClusterIP',
      selector: { ...selector, [LABEL_TRAFFIC]: 'on' },
      ports: [
        { name: 'http', port: spec.port, targetPort: 'http', protocol: 'TCP' },
      ],
    },
  };

  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: common,
      annotations: stamp,
    },
    spec: {
      // With autoscaling, the HPA owns the count; K2 must not fight it.
      ...(spec.autoscaling ? {} : { replicas: target.replicas }),
      selector: { matchLabels: target.keptSelector ?? selector },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: spec.timeoutSeconds,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
      },
      template: {
        metadata: {
          labels: {
            ...common,
            ...target.keptSelector,
            [LABEL_RELEASE]: String(target.releaseNumber),
            [LABEL_TRAFFIC]: 'on',
          },
          annotations: {
            [ANNOTATION_RELEASE_ID]: target.releaseId,
            ...(target.restartedAt
              ? { [ANNOTATION_RESTARTED_AT]: target.restartedAt }
              : {}),
          },
        },
        spec: {
          terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
          ...(Object.keys(spec.nodeSelector).length
            ? { nodeSelector: spec.nodeSelector }
            : {}),
          ...(spec.priorityClassName
            ? { priorityClassName: spec.priorityClassName }
            : {}),
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: selector },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: spec.name,
              image: spec.image,
              ports: [
                { name: 'http', containerPort: spec.port, protocol: 'TCP' },
              ],
              env: [
                ...platformEnv,
                ...spec.env.map(e => renderEnv(spec, e)),
                ...(spec.bindings ?? []).map(renderBinding),
              ],
              resources: spec.resources,
              readinessProbe: probe(spec.probes.readiness),
              livenessProbe: probe(spec.probes.liveness),
              startupProbe: probe(spec.probes.startup),
              lifecycle: {
                preStop: {
                  exec: { command: ['sh', '-c', `sleep ${spec.drainSeconds}`] },
                },
              },
              volumeMounts: [
                {
                  name: 'k2-logs',
                  mountPath: '/log-dir',
                  subPathExpr: '$(POD_NAME)',
                },
                ...mounts.volumeMounts,
              ],
            },
          ],
          volumes: [
            {
              name: 'k2-logs',
              hostPath: { path: spec.logDirectory, type: 'DirectoryOrCreate' },
            },
            ...mounts.volumes,
          ],
        },
      },
    },
  };

  const objects = [namespace, service, deployment];
  if (spec.autoscaling) {
    objects.push(renderAutoscaler(spec, target.cluster, common));
  }
  return objects;
}

/**
 * The pod volumes and container mounts of a release's volumes and config files. A
 * volume is its PVC in the cluster (`<name>-<volume>`), listed once however often it
 * is mounted. A config file is the immutable ConfigMap (Secret, when sensitive) of its
 * version, projected as its one key and mounted read-only as a single file
 * (`subPath`), so the rest of its directory stays the image's. A new version is a new
 * object name, so the pod template changes and the release rolls like any other.
 */
export function renderMounts(spec: K2ReleaseSpec) {
  const volumeNames = [...new Set(spec.volumes.map(v => v.volume))];
  return {
    volumes: [
      ...volumeNames.map(volume => ({
        name: `k2-volume-${volume}`,
        persistentVolumeClaim: {
          claimName: volumeClaimName(spec.name, volume),
        },
      })),
      ...spec.configFiles.map((c, i) => {
        const items = [{ key: c.file, path: c.file }];
        return c.sensitive
          ? { name: `k2-config-${i}`, secret: { secretName: c.object, items } }
          : { name: `k2-config-${i}`, configMap: { name: c.object, items } };
      }),
    ],
    volumeMounts: [
      ...spec.volumes.map(v => ({
        name: `k2-volume-${v.volume}`,
        mountPath: v.mountPath,
        readOnly: v.readOnly,
        ...(v.subPath ? { subPath: v.subPath } : {}),
      })),
      ...spec.configFiles.map((c, i) => ({
        name: `k2-config-${i}`,
        mountPath: c.mountPath,
        subPath: c.file,
        readOnly: true,
      })),
    ],
  };
}

/** The cluster's HPA: the service's bounds split over its clusters by weight. */
export function renderAutoscaler(
  spec: K2ReleaseSpec,
  cluster: string,
  labels: Record<string, string>,
): KubeObject {
  const a = spec.autoscaling!;
  const share = (n: number) =>
    splitReplicas(n, spec.clusters).find(c => c.name === cluster)?.replicas ??
    n;
  const minReplicas = Math.max(1, share(a.minReplicas));
  const metrics = (
    [
      ['cpu', a.cpuUtilization],
      ['memory', a.memoryUtilization],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([name, averageUtilization]) => ({
      type: 'Resource',
      resource: {
        name,
        target: { type: 'Utilization', averageUtilization },
      },
    }));
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: spec.name,
      },
      minReplicas,
      maxReplicas: Math.max(minReplicas, share(a.maxReplicas)),
      metrics,
    },
  };
}
