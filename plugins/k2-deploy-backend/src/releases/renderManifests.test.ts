import { ConfigReader } from '@backstage/config';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  K2EnvironmentModel,
  K2ReleaseInput,
  K2ReleaseSpec,
  readEnvironmentModel,
  readServiceSpec,
} from '@internal/plugin-k2-common';
import { KubeObject } from '@internal/plugin-k2-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { renderEnvSecret, secretVar } from './ReleaseSecrets';
import { renderManifests } from './renderManifests';
import {
  resolveReleaseSpec as resolveForTarget,
  splitReplicas,
} from './resolveReleaseSpec';

/** Resolves as the release engine does: the entity's settings, then its target. */
function resolveReleaseSpec(
  input: K2ReleaseInput,
  entity: Entity,
  environments: K2EnvironmentModel,
  mounts?: Pick<K2ReleaseSpec, 'volumes' | 'configFiles'>,
) {
  const spec = readServiceSpec(entity, environments);
  const target = spec.targets.find(
    t => t.environment.name === input.environment,
  )!;
  return resolveForTarget(
    input,
    { ref: stringifyEntityRef(entity), entity, spec },
    target,
    mounts,
  );
}

const model = readEnvironmentModel(
  new ConfigReader({
    k2: {
      environments: [
        {
          name: 'prod',
          production: true,
          clusters: [
            { name: 'prod-a', weight: 60 },
            { name: 'prod-b', weight: 40 },
          ],
          defaults: {
            replicas: 4,
            resources: { cpu: '2', memory: '2Gi' },
            overcommit: { cpu: 4, memory: 2 },
          },
          limits: {
            priorityClasses: ['business-critical'],
            nodeSelectors: ['pool'],
          },
        },
      ],
    },
  }),
);

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payment-gateway',
    annotations: {
      'backstage.io/kubernetes-id': 'payment-gateway',
      'k2.io/environments': 'prod',
      'k2.io/namespace': 'payments-core',
      'k2.io/language': 'java',
      'k2.io/port': '8081',
      'k2.io/health-path': '/actuator/health/readiness',
      'k2.io/node-selector': 'pool=payments',
      'k2.io/priority-class': 'business-critical',
    },
  },
  spec: { type: 'service', owner: 'payments-team', lifecycle: 'production' },
};

/** Validates against the Kubernetes OpenAPI schemas; throws with the schema errors. */
function validate(object: KubeObject) {
  const models: Record<string, new (data: any) => { validate(): void }> = {
    Namespace,
    Service,
    Deployment,
    HorizontalPodAutoscaler,
  };
  const Model = models[object.kind!];
  expect(Model).toBeDefined();
  new Model(object).validate();
}

describe('renderManifests', () => {
  const spec = resolveReleaseSpec(
    {
      environment: 'prod',
      image: 'registry.example.com/payments/payment-gateway:2.3.1',
      env: [{ name: 'SPRING_PROFILES_ACTIVE', value: 'prod' }],
    },
    entity,
    model,
  );
  const target = {
    service: 'component:default/payment-gateway',
    environment: 'prod',
    cluster: 'prod-a',
    replicas: 3,
    releaseId: '6c0f2a4e-8d1b-4f43-9a43-6e4b8f7e2d10',
    releaseNumber: 12,
  };

  it('renders objects that pass the Kubernetes OpenAPI schemas', () => {
    const objects = renderManifests(spec, target);
    expect(objects.map(o => o.kind)).toEqual([
      'Namespace',
      'Service',
      'Deployment',
    ]);
    objects.forEach(validate);
    const withHpa = renderManifests(
      {
        ...spec,
        autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 },
      },
      target,
    );
    expect(withHpa.map(o => o.kind)).toContain('HorizontalPodAutoscaler');
    withHpa.forEach(validate);
  });

  it('stamps the owning service on its Service and Deployment, not on the shared Namespace', () => {
    const [namespace, service, deployment] = renderManifests(spec, target);
    for (const owned of [service, deployment]) {
      expect(owned.metadata.annotations).toEqual({
        'k2.io/entity-ref': 'component:default/payment-gateway',
      });
    }
    expect(namespace.metadata.annotations).toBeUndefined();
  });

  it('the schema check is real: a broken Deployment fails it', () => {
    const [, , deployment] = renderManifests(spec, target);
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => validate(deployment)).toThrow(/containerPort/);
  });

  it('renders a lossless rollout: no unavailable pod, readiness, preStop drain within the grace period', () => {
    const [, service, deployment] = renderManifests(spec, target);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.rollingUpdate).toEqual({
      maxUnavailable: 0,
      maxSurge: '25%',
    });
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container.readinessProbe.httpGet).toEqual({
      path: '/actuator/health/readiness',
      port: 'http',
    });
    expect(container.lifecycle.preStop.exec.command).toEqual([
      'sh',
      '-c',
      'sleep 10',
    ]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
    // Requests follow the environment's overcommit: 2 CPU ÷ 4, 2 GiB ÷ 2.
    expect(container.resources).toEqual({
      limits: { cpu: '2', memory: '2Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'K2_SERVICE', value: 'payment-gateway' },
        { name: 'K2_CLUSTER', value: 'prod-a' },
        { name: 'K2_VERSION', value: '2.3.1' },
        { name: 'K2_RELEASE', value: '12' },
        { name: 'SPRING_PROFILES_ACTIVE', value: 'prod' },
        {
          name: 'JAVA_TOOL_OPTIONS',
          value: expect.stringContaining('-XX:MaxRAMPercentage=75.0'),
        },
      ]),
    );
    expect(container.volumeMounts).toEqual([
      { name: 'k2-logs', mountPath: '/log-dir', subPathExpr: '$(POD_NAME)' },
    ]);
    expect(pod.volumes[0].hostPath.path).toBe(
      '/log-dir/k2-logs/payments-core/payment-gateway',
    );
    expect(pod.nodeSelector).toEqual({ pool: 'payments' });
    expect(pod.priorityClassName).toBe('business-critical');
    expect(
      pod.affinity.podAntiAffinity
        .preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
    ).toBe('kubernetes.io/hostname');
    // The Service selects only pods in traffic; the Deployment's selector never changes.
    expect(service.spec.selector).toEqual({
      'k2.io/service': 'payment-gateway',
      'k2.io/environment': 'prod',
      'k2.io/traffic': 'on',
    });
    expect(deployment.spec.selector.matchLabels).toEqual({
      'k2.io/service': 'payment-gateway',
      'k2.io/environment': 'prod',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      'backstage.io/kubernetes-id': 'payment-gateway',
      'k2.io/release': '12',
      'k2.io/traffic': 'on',
    });
  });

  it('mounts volumes as their PVCs and each config file version as one read-only file of its immutable object, and still passes the schemas', () => {
    const mounted = resolveReleaseSpec(
      {
        environment: 'prod',
        image: 'registry.example.com/payments/payment-gateway:2.3.1',
      },
      entity,
      model,
      {
        volumes: [
          { volume: 'data', mountPath: '/data', readOnly: false },
          {
            volume: 'data',
            mountPath: '/srv/reports',
            readOnly: true,
            subPath: 'reports',
          },
        ],
        configFiles: [
          {
            file: 'application.yaml',
            version: 3,
            object: 'payment-gateway-application-yaml-5c9d7f2k4m',
            sensitive: false,
            hash: '5c9d7f2k4m',
            mountPath: '/app/config/application.yaml',
          },
          {
            file: 'db.properties',
            version: 1,
            object: 'payment-gateway-db-properties-8h2b6t9g4c',
            sensitive: true,
            hash: '8h2b6t9g4c',
            mountPath: '/app/config/db.properties',
          },
        ],
      },
    );
    const objects = renderManifests(mounted, target);
    objects.forEach(validate);
    const pod = objects[2].spec.template.spec;
    expect(pod.volumes.slice(1)).toEqual([
      {
        name: 'k2-volume-data',
        persistentVolumeClaim: { claimName: 'payment-gateway-data' },
      },
      {
        name: 'k2-config-0',
        configMap: {
          name: 'payment-gateway-application-yaml-5c9d7f2k4m',
          items: [{ key: 'application.yaml', path: 'application.yaml' }],
        },
      },
      {
        name: 'k2-config-1',
        secret: {
          secretName: 'payment-gateway-db-properties-8h2b6t9g4c',
          items: [{ key: 'db.properties', path: 'db.properties' }],
        },
      },
    ]);
    expect(pod.containers[0].volumeMounts.slice(1)).toEqual([
      { name: 'k2-volume-data', mountPath: '/data', readOnly: false },
      {
        name: 'k2-volume-data',
        mountPath: '/srv/reports',
        readOnly: true,
        subPath: 'reports',
      },
      {
        name: 'k2-config-0',
        mountPath: '/app/config/application.yaml',
        subPath: 'application.yaml',
        readOnly: true,
      },
      {
        name: 'k2-config-1',
        mountPath: '/app/config/db.properties',
        subPath: 'db.properties',
        readOnly: true,
      },
    ]);
    // Another version is another object: the pod template changes, pods roll.
    const next = renderManifests(
      {
        ...mounted,
        configFiles: [
          {
            ...mounted.configFiles[0],
            version: 4,
            object: 'payment-gateway-application-yaml-t7b2m9c4hd',
          },
          mounted.configFiles[1],
        ],
      },
      target,
    );
    expect(next[2].spec.template).not.toEqual(objects[2].spec.template);
  });

  it("keeps an adopted Deployment's selector and gives the pods its labels too", () => {
    const [, service, deployment] = renderManifests(spec, {
      ...target,
      keptSelector: { app: 'payment-gateway', tier: 'web' },
    });
    expect(deployment.spec.selector.matchLabels).toEqual({
      app: 'payment-gateway',
      tier: 'web',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      app: 'payment-gateway',
      tier: 'web',
      'k2.io/service': 'payment-gateway',
      'k2.io/environment': 'prod',
      'k2.io/traffic': 'on',
    });
    expect(service.spec.selector).toEqual({
      'k2.io/service': 'payment-gateway',
      'k2.io/environment': 'prod',
      'k2.io/traffic': 'on',
    });
    expect(() => new Deployment(deployment as any).validate()).not.toThrow();
  });

  it('leaves the replica count to the HPA when autoscaling, splitting its bounds by weight', () => {
    const autoscaled = {
      ...spec,
      autoscaling: { minReplicas: 2, maxReplicas: 10, memoryUtilization: 80 },
    };
    const a = renderManifests(autoscaled, target);
    const b = renderManifests(autoscaled, { ...target, cluster: 'prod-b' });
    expect(a[2].spec.replicas).toBeUndefined();
    const [hpaA, hpaB] = [a[3], b[3]];
    expect([hpaA.spec.minReplicas, hpaA.spec.maxReplicas]).toEqual([1, 6]);
    expect([hpaB.spec.minReplicas, hpaB.spec.maxReplicas]).toEqual([1, 4]);
    expect(hpaA.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: {
          name: 'memory',
          target: { type: 'Utilization', averageUtilization: 80 },
        },
      },
    ]);
  });
});

describe('splitReplicas', () => {
  it.each([
    [5, [60, 40], [3, 2]],
    [1, [60, 40], [1, 0]],
    [10, [1, 1, 1], [4, 3, 3]],
    [7, [50, 30, 20], [4, 2, 1]],
  ])('splits %i over weights %j as %j', (total, weights, expected) => {
    const parts = splitReplicas(
      total,
      weights.map((weight, i) => ({ name: `c${i}`, weight })),
    );
    expect(parts.map(p => p.replicas)).toEqual(expected);
    expect(parts.reduce((n, p) => n + p.replicas, 0)).toBe(total);
  });
});

describe('resolveReleaseSpec: the image', () => {
  const withRepository: Entity = {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...entity.metadata.annotations,
        'k2.io/image': 'registry.example.com:5000/payments/payment-gateway',
      },
    },
  };
  const imageOf = (image: string, e = withRepository) =>
    resolveReleaseSpec({ environment: 'prod', image }, e, model).image;
  const sha = `sha256:${'0f'.repeat(32)}`;

  it('reads a bare tag as a tag of the k2.io/image repository', () => {
    expect(imageOf('2.4.0')).toBe(
      'registry.example.com:5000/payments/payment-gateway:2.4.0',
    );
    expect(() => imageOf('2.4.0', entity)).toThrow(
      /only a tag, and payment-gateway declares no k2.io\/image repository/,
    );
    expect(() => imageOf('-rc1')).toThrow(/'-rc1' is not a valid tag/);
  });

  it('takes a full reference with a tag or a digest as it is', () => {
    expect(imageOf('ghcr.io/acme/gw:1.0')).toBe('ghcr.io/acme/gw:1.0');
    expect(imageOf(`ghcr.io/acme/gw@${sha}`)).toBe(`ghcr.io/acme/gw@${sha}`);
  });

  it('refuses an implicit latest and malformed references, with the reason', () => {
    expect(() => imageOf('ghcr.io/acme/gw')).toThrow(/names no tag or digest/);
    expect(() => imageOf('ghcr.io/Acme/gw:1')).toThrow(
      /'Acme' is not a repository path component/,
    );
    expect(() => imageOf('ghcr.io/acme/gw@sha256:abc')).toThrow(/not a digest/);
    expect(() => imageOf('ghcr.io:99999/gw:1')).toThrow(/not a port/);
  });

  it('reports the pinned digest as the version the service runs', () => {
    const spec = resolveReleaseSpec(
      { environment: 'prod', image: `ghcr.io/acme/gw:1.0@${sha}` },
      entity,
      model,
    );
    const deployment = renderManifests(spec, {
      service: 'component:default/payment-gateway',
      environment: 'prod',
      cluster: 'prod-a',
      replicas: 1,
      releaseId: 'r',
      releaseNumber: 1,
    })[2];
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: 'K2_VERSION',
      value: sha,
    });
  });

  it('writes limits exactly: 1.1 CPU is 1100m, not 1101m', () => {
    const resources = (cpu: string, memory = '1Gi') =>
      resolveReleaseSpec(
        { environment: 'prod', image: 'a.io/b:1', resources: { cpu, memory } },
        entity,
        model,
      ).resources;
    expect(resources('1.1', '1.5Gi').limits).toEqual({
      cpu: '1100m',
      memory: '1536Mi',
    });
  });
});

describe('secret variables', () => {
  const spec = resolveReleaseSpec(
    {
      environment: 'prod',
      image: 'registry.example.com/payments/payment-gateway:2.3.1',
      env: [
        { name: 'MODE', value: 'strict' },
        { name: 'DB_PASSWORD', secret: true },
      ],
    },
    entity,
    model,
  );
  // As ReleaseSecrets resolves it: a version marker, never the value.
  spec.env[1] = secretVar('DB_PASSWORD', '3f9a0c1d2e4b5a68');
  const target = {
    service: 'component:default/payment-gateway',
    environment: 'prod',
    cluster: 'prod-a',
    replicas: 3,
    releaseId: '6c0f2a4e-8d1b-4f43-9a43-6e4b8f7e2d10',
    releaseNumber: 12,
  };

  it("reads a secret variable from the service's env Secret by secretKeyRef", () => {
    const deployment = renderManifests(spec, target)[2];
    expect(() => new Deployment(deployment as any).validate()).not.toThrow();
    const env = deployment.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'MODE', value: 'strict' });
    expect(env).toContainEqual({
      name: 'DB_PASSWORD',
      valueFrom: {
        secretKeyRef: { name: 'payment-gateway-k2-env', key: 'DB_PASSWORD' },
      },
    });
    // Neither the mask nor the marker reaches the container.
    expect(JSON.stringify(deployment)).not.toMatch(/••••••|3f9a0c1d2e4b5a68/);
  });

  it("renders the env Secret with K2's labels, valid against the Secret schema", () => {
    const secret = renderEnvSecret(
      { spec, environment: 'prod' },
      'payment-gateway-k2-env',
      [{ name: 'DB_PASSWORD', value: 's3cret', version: '3f9a0c1d2e4b5a68' }],
    );
    expect(() => new Secret(secret as any).validate()).not.toThrow();
    expect(secret.metadata.labels).toEqual(
      renderManifests(spec, target)[2].metadata.labels,
    );
    expect(secret.data).toEqual({
      DB_PASSWORD: Buffer.from('s3cret').toString('base64'),
    });
    expect(secret.metadata.annotations).toEqual({
      'k2.io/env-versions': '{"DB_PASSWORD":"3f9a0c1d2e4b5a68"}',
    });
  });
});
