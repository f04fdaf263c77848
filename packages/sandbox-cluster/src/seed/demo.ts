import { createHash } from 'crypto';
import { Entity } from '@backstage/catalog-model';
import {
  K2EnvironmentModel,
  isK2Service,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { templateHash, quantity } from '../api/defaults';
import type { SandboxCluster } from '../cluster';
import { KubeObject } from '../api/types';

const DAY = 24 * 3600 * 1000;

function stamp(ms: number) {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A deterministic number in [0, 1) from text, so seeded ages and tags stay stable. */
function unit(text: string) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) / 2 ** 32;
}

/** A stable 5-character pod name suffix in Kubernetes' alphabet. */
function suffix(text: string) {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
}

export interface SeededWorkload {
  namespace: string;
  name: string;
  replicas: number;
  image: string;
  port?: number;
  healthPath?: string;
  language?: string;
  labels?: Record<string, string>;
  /** Container limits; requests are limits ÷ overcommit. */
  limits?: { cpu: string; memory: string };
  overcommit?: { cpu: number; memory: number };
  /** When the workload was first released (ms), for realistic ages. */
  createdAt?: number;
  /** Also create a Service in front of it. */
  service?: boolean;
  /** The Deployment's selector (default `app: <name>`); the Service adds `serviceSelector`. */
  selector?: Record<string, string>;
  /** Extra labels the Service selects on, e.g. K2's `k2.io/traffic: on`. */
  serviceSelector?: Record<string, string>;
  /** The Service's port (default 80). */
  servicePort?: number;
}

function ensureNamespace(
  cluster: SandboxCluster,
  name: string,
  labels: Record<string, string> = {},
) {
  const type = cluster.type('', 'namespaces');
  if (!cluster.registry.find(type, undefined, name)) {
    cluster.registry.create(type, undefined, { metadata: { name, labels } });
  }
}

function formatCpu(cores: number) {
  return cores >= 1 && Number.isInteger(cores)
    ? String(cores)
    : `${Math.round(cores * 1000)}m`;
}

function formatMemory(bytes: number) {
  return `${Math.round(bytes / 1024 ** 2)}Mi`;
}

/**
 * Creates a running Deployment with its ReplicaSet and ready pods in one step, as if it
 * had been released long ago. The controllers then own it like any other workload.
 */
export function seedRunningDeployment(
  cluster: SandboxCluster,
  w: SeededWorkload,
) {
  const now = Date.now();
  const createdAt = w.createdAt ?? now - DAY;
  ensureNamespace(cluster, w.namespace);
  const selector = w.selector ?? { app: w.name };
  const labels = { app: w.name, ...selector, ...w.labels };
  const limits = w.limits ?? { cpu: '1', memory: '1Gi' };
  const over = w.overcommit ?? { cpu: 1, memory: 1 };
  const requests = {
    cpu: formatCpu(quantity(limits.cpu) / over.cpu),
    memory: formatMemory(quantity(limits.memory) / over.memory),
  };
  const port = w.port ?? 8080;
  const template = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: w.name.length <= 63 ? w.name : 'app',
          image: w.image,
          ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
          resources: { limits, requests },
          readinessProbe: {
            httpGet: { path: w.healthPath ?? '/health', port, scheme: 'HTTP' },
            initialDelaySeconds: w.language === 'java' ? 20 : 5,
            periodSeconds: 10,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    },
  };
  const registry = cluster.registry;
  const deployType = cluster.type('apps', 'deployments');
  const rsType = cluster.type('apps', 'replicasets');
  const podType = cluster.type('', 'pods');
  const deployment = cluster.restore(deployType, {
    metadata: {
      name: w.name,
      namespace: w.namespace,
      labels,
      annotations: { 'deployment.kubernetes.io/revision': '1' },
      creationTimestamp: stamp(createdAt),
    },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: selector },
      template,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  });
  const hash = templateHash(deployment.spec.template);
  const rs = cluster.restore(rsType, {
    metadata: {
      name: `${w.name}-${hash}`,
      namespace: w.namespace,
      labels: { ...labels, 'pod-template-hash': hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(w.replicas),
        'deployment.kubernetes.io/max-replicas': String(
          w.replicas + Math.ceil(w.replicas / 4),
        ),
        'deployment.kubernetes.io/revision': '1',
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: w.name,
          uid: deployment.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      creationTimestamp: stamp(createdAt),
    },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: { ...selector, 'pod-template-hash': hash } },
      template: {
        ...template,
        metadata: { labels: { ...labels, 'pod-template-hash': hash } },
      },
    },
    status: {},
  });
  const nodes = cluster.store.list(cluster.type('', 'nodes'));
  for (let i = 0; i < w.replicas; i++) {
    const name = `${rs.metadata.name}-${suffix(`${rs.metadata.name}/${i}`)}`;
    const started =
      createdAt + unit(`${name}`) * Math.max(0, now - createdAt) * 0.5;
    const node = cluster.kubelet.pickNode(
      nodes,
      template.spec.containers[0].resources.requests,
    );
    const podIp = cluster.kubelet.allocateIp();
    const hostIp = (node?.status?.addresses ?? []).find(
      (a: any) => a.type === 'InternalIP',
    )?.address;
    const conditions = [
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ].map(type => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: stamp(started + 25000),
    }));
    const c = template.spec.containers[0];
    const pod: KubeObject = {
      metadata: {
        name,
        namespace: w.namespace,
        labels: { ...labels, 'pod-template-hash': hash },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: rs.metadata.name,
            uid: rs.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        creationTimestamp: stamp(started),
      },
      spec: {
        ...structuredClone(template.spec),
        nodeName: node?.metadata.name,
      },
      status: {
        phase: 'Running',
        conditions,
        hostIP: hostIp,
        hostIPs: hostIp ? [{ ip: hostIp }] : [],
        podIP: podIp,
        podIPs: [{ ip: podIp }],
        startTime: stamp(started),
        qosClass:
          over.cpu === 1 && over.memory === 1 ? 'Guaranteed' : 'Burstable',
        containerStatuses: [
          {
            name: c.name,
            state: { running: { startedAt: stamp(started + 3000) } },
            lastState: {},
            ready: true,
            restartCount: 0,
            image: c.image,
            imageID: `${c.image.replace(/:[^/:]+$/, '')}@sha256:${hash.padEnd(
              64,
              '0',
            )}`,
            containerID: `containerd://${(hash + name)
              .replace(/[^a-f0-9]/g, '')
              .padEnd(64, 'a')
              .slice(0, 64)}`,
            started: true,
          },
        ],
      },
    };
    if (!node) {
      delete pod.spec.nodeName;
      pod.status = { phase: 'Pending' };
    }
    cluster.restore(podType, pod);
  }
  if (w.service) {
    const svcType = cluster.type('', 'services');
    if (!registry.find(svcType, w.namespace, w.name)) {
      registry.create(svcType, w.namespace, {
        metadata: { name: w.name, namespace: w.namespace, labels },
        spec: {
          selector: { ...selector, ...w.serviceSelector },
          ports: [
            {
              name: 'http',
              port: w.servicePort ?? 80,
              targetPort: port,
              protocol: 'TCP',
            },
          ],
        },
      });
    }
  }
  return deployment;
}

/**
 * Seeds each served cluster with the demo catalog's services, as K2 would have released
 * them: per environment and cluster, the replica share by weight, in the service's
 * namespace, labelled with `backstage.io/kubernetes-id` for the stock Kubernetes tab.
 */
export function seedDemoServices(
  clusters: Map<string, SandboxCluster>,
  entities: Entity[],
  model: K2EnvironmentModel,
) {
  let count = 0;
  for (const entity of entities) {
    if (entity.kind !== 'Component' || !isK2Service(entity)) continue;
    const spec = readServiceSpec(entity, model);
    const id = spec.kubernetesId;
    for (const target of spec.targets) {
      const total = target.clusters.reduce((n, c) => n + c.weight, 0) || 1;
      for (const c of target.clusters) {
        const cluster = clusters.get(c.name);
        if (!cluster) continue;
        const replicas = Math.max(
          1,
          Math.round((target.replicas * c.weight) / total),
        );
        const version = `1.${Math.floor(unit(id) * 20)}.${Math.floor(
          unit(`${id}.patch`) * 10,
        )}`;
        seedRunningDeployment(cluster, {
          namespace: target.namespace,
          name: id,
          replicas,
          image: `${spec.image ?? `registry.k2.local/${id}`}:${version}`,
          port: spec.port,
          healthPath: spec.healthPath,
          language: spec.language,
          // As K2 releases: its selector, its labels, its Service.
          selector: {
            'k2.io/service': id,
            'k2.io/environment': target.environment.name,
          },
          serviceSelector: { 'k2.io/traffic': 'on' },
          servicePort: spec.port,
          labels: {
            'backstage.io/kubernetes-id': id,
            'app.kubernetes.io/name': id,
            'app.kubernetes.io/version': version,
            'app.kubernetes.io/managed-by': 'k2',
            'k2.io/traffic': 'on',
          },
          limits: target.environment.defaults.resources,
          overcommit: target.environment.defaults.overcommit,
          createdAt: Date.now() - (3 + unit(id) * 60) * DAY,
          service: true,
        });
        count++;
      }
    }
  }
  return count;
}
