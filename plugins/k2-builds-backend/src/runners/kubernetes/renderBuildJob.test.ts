import { ConfigReader } from '@backstage/config';
import { K2ConfigError } from '@internal/plugin-k2-common';
import { BuildJob } from '../types';
import {
  buildJobName,
  ownedBy,
  pushReferenceOf,
  renderBuildJob,
  validateBuildObjects,
} from './renderBuildJob';
import {
  DEFAULT_KUBERNETES_BUILD_SETTINGS,
  readKubernetesBuildSettings,
} from './settings';

const job: BuildJob = {
  id: '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
  number: 12,
  service: 'component:payments/payment-gateway',
  serviceId: 'payments-payment-gateway',
  source: {
    url: 'https://github.com/northwind/payment-gateway',
    ref: 'main',
    commit: 'a'.repeat(40),
  },
  dockerfile: 'FROM registry.northwind.example/k2-base/busybox:1.35.0\n',
  target: {
    image: 'registry.northwind.example/payments/payment-gateway:aaaaaaaaaaaa',
    registryHost: 'registry.northwind.example',
  },
  timeoutMs: 30 * 60 * 1000,
};

const registry = {
  host: 'registry.northwind.example',
  baseUrl: 'http://127.0.0.1:7104',
  insecure: true,
  credentials: { username: 'k2-push', password: 's3cret-registry-password' },
};
const sourceAuth = {
  configKey: 'http.https://github.com/.extraHeader',
  header: 'Authorization: Basic eC1hY2Nlc3MtdG9rZW46Z2hwX3NlY3JldA==',
};

function render(overrides: Partial<Parameters<typeof renderBuildJob>[1]> = {}) {
  return renderBuildJob(job, {
    namespace: 'k2-builds',
    settings: DEFAULT_KUBERNETES_BUILD_SETTINGS,
    registry,
    sourceAuth,
    suspend: false,
    ...overrides,
  });
}

const decode = (text: string) => Buffer.from(text, 'base64').toString();

const owner = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'x', namespace: 'k2-builds', uid: 'd7c3e0a4-uid' },
};

describe('renderBuildJob', () => {
  it('renders a Job, the Dockerfile ConfigMap and both Secrets that pass the Kubernetes schemas', () => {
    const rendered = render();
    const objects = [
      rendered.job,
      ...rendered.dependents.map(d => ownedBy(d, owner)),
    ];
    expect(objects.map(o => [o.kind, o.metadata.name])).toEqual([
      ['Job', 'payments-payment-gateway-b12-5f0c1d'],
      ['ConfigMap', 'payments-payment-gateway-b12-5f0c1d-dockerfile'],
      ['Secret', 'payments-payment-gateway-b12-5f0c1d-registry'],
      ['Secret', 'payments-payment-gateway-b12-5f0c1d-source'],
    ]);
    expect(() => validateBuildObjects(objects)).not.toThrow();
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('k2-builds');
      expect(object.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'k2',
        'k2.io/build-id': job.id,
      });
    }
  });

  it('sets the Job as ADR 0003 lists: no retry, the timeout as deadline, removed an hour after', () => {
    const { spec, metadata } = render({ suspend: true }).job;
    expect(spec).toMatchObject({
      suspend: true,
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      ttlSecondsAfterFinished: 3600,
    });
    expect(metadata.annotations).toMatchObject({
      'k2.io/entity-ref': job.service,
      'k2.io/build-commit': job.source.commit,
      'k2.io/build-image': job.target.image,
    });
    expect(spec.template.metadata.labels['k2.io/build-id']).toBe(job.id);
    const pod = spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      fsGroup: 1000,
    });
  });

  it('clones the commit in an init container and builds it with BuildKit rootless, pushing to the registry address', () => {
    const pod = render().job.spec.template.spec;
    const [source] = pod.initContainers;
    expect(source.image).toBe('alpine/git:2.45.2');
    expect(source.command[2]).toContain('--branch "$K2_SOURCE_REF"');
    expect(source.command[2]).toContain(
      'checkout --quiet --detach "$K2_SOURCE_COMMIT"',
    );
    expect(source.env).toEqual(
      expect.arrayContaining([
        { name: 'K2_SOURCE_URL', value: job.source.url },
        { name: 'K2_SOURCE_REF', value: 'main' },
        { name: 'K2_SOURCE_COMMIT', value: job.source.commit },
        { name: 'GIT_CONFIG_KEY_0', value: sourceAuth.configKey },
        {
          name: 'GIT_CONFIG_VALUE_0',
          valueFrom: {
            secretKeyRef: {
              name: 'payments-payment-gateway-b12-5f0c1d-source',
              key: 'header',
            },
          },
        },
      ]),
    );
    const [build] = pod.containers;
    expect(build.image).toBe('moby/buildkit:v0.17.3-rootless');
    expect(build.command).toEqual(['buildctl-daemonless.sh']);
    expect(build.args).toEqual([
      'build',
      '--progress=plain',
      '--frontend=dockerfile.v0',
      '--local',
      'context=/workspace/source',
      '--local',
      'dockerfile=/k2/dockerfile',
      '--output',
      'type=image,name=127.0.0.1:7104/payments/payment-gateway:aaaaaaaaaaaa,push=true,registry.insecure=true',
    ]);
    expect(build.env).toEqual([
      { name: 'BUILDKITD_FLAGS', value: '--oci-worker-no-process-sandbox' },
      { name: 'DOCKER_CONFIG', value: '/k2/docker' },
    ]);
    expect(build.securityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    });
    expect(build.resources).toEqual(
      DEFAULT_KUBERNETES_BUILD_SETTINGS.resources,
    );
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        {
          name: 'dockerfile',
          configMap: { name: 'payments-payment-gateway-b12-5f0c1d-dockerfile' },
        },
        {
          name: 'docker-config',
          secret: {
            secretName: 'payments-payment-gateway-b12-5f0c1d-registry',
            items: [{ key: '.dockerconfigjson', path: 'config.json' }],
          },
        },
      ]),
    );
  });

  it('puts credentials in the Secrets only, never in the Job', () => {
    const rendered = render();
    const jobText = JSON.stringify(rendered.job);
    expect(jobText).not.toContain('s3cret-registry-password');
    expect(jobText).not.toContain(sourceAuth.header);
    expect(jobText).not.toContain(
      Buffer.from('k2-push:s3cret-registry-password').toString('base64'),
    );
    const [configMap, registrySecret, sourceSecret] = rendered.dependents;
    expect(configMap.data).toEqual({ Dockerfile: job.dockerfile });
    expect(registrySecret.type).toBe('kubernetes.io/dockerconfigjson');
    const auth = Buffer.from('k2-push:s3cret-registry-password').toString(
      'base64',
    );
    expect(
      JSON.parse(decode(registrySecret.data['.dockerconfigjson'])),
    ).toEqual({
      auths: {
        'registry.northwind.example': { auth },
        '127.0.0.1:7104': { auth },
      },
    });
    expect(decode(sourceSecret.data.header)).toBe(sourceAuth.header);
  });

  it('renders no source Secret for a public repository, and an empty auths for an anonymous registry', () => {
    const rendered = render({
      sourceAuth: undefined,
      registry: {
        ...registry,
        credentials: undefined,
        insecure: false,
        baseUrl: 'https://registry.northwind.example',
      },
    });
    expect(rendered.dependents.map(d => d.kind)).toEqual([
      'ConfigMap',
      'Secret',
    ]);
    expect(
      JSON.parse(decode(rendered.dependents[1].data['.dockerconfigjson'])),
    ).toEqual({ auths: {} });
    const build = rendered.job.spec.template.spec.containers[0];
    expect(build.args[build.args.length - 1]).toBe(
      'type=image,name=registry.northwind.example/payments/payment-gateway:aaaaaaaaaaaa,push=true',
    );
    const source = rendered.job.spec.template.spec.initContainers[0];
    expect(source.env.map((e: { name: string }) => e.name)).not.toContain(
      'GIT_CONFIG_VALUE_0',
    );
    expect(() => validateBuildObjects([rendered.job])).not.toThrow();
  });

  it('keeps a long service id within the 63 characters of a Job name', () => {
    const name = buildJobName({
      ...job,
      serviceId: `${'very-long-service-name-'.repeat(4)}x`,
      number: 123456,
    });
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.endsWith('-b123456-5f0c1d')).toBe(true);
  });

  it('refuses an image outside the target registry', () => {
    expect(() =>
      pushReferenceOf('docker.io/library/busybox:1', registry),
    ).toThrow(
      'The image docker.io/library/busybox:1 is not in the registry registry.northwind.example',
    );
  });

  it('refuses to validate an object the schema rejects', () => {
    const broken = render().job;
    broken.spec.template.spec.containers[0].resources = {
      limits: { memory: 4 },
    };
    broken.spec.backoffLimit = 'none';
    expect(() => validateBuildObjects([broken])).toThrow(
      /^The build's Job payments-payment-gateway-b12-5f0c1d is not valid: /,
    );
  });
});

describe('readKubernetesBuildSettings', () => {
  it('has defaults for every key', () => {
    expect(readKubernetesBuildSettings(new ConfigReader({}))).toEqual(
      DEFAULT_KUBERNETES_BUILD_SETTINGS,
    );
  });

  it('reads every key', () => {
    const settings = readKubernetesBuildSettings(
      new ConfigReader({
        k2: {
          builds: {
            kubernetes: {
              image: 'mirror.example/moby/buildkit:v0.17.3-rootless',
              gitImage: 'mirror.example/alpine/git:2.45.2',
              namespace: 'ci',
              resources: {
                requests: { cpu: '1', memory: '2Gi' },
                limits: { memory: '8Gi' },
              },
              podAnnotations: { 'sidecar.istio.io/inject': 'false' },
            },
          },
        },
      }),
    );
    expect(settings).toEqual({
      image: 'mirror.example/moby/buildkit:v0.17.3-rootless',
      gitImage: 'mirror.example/alpine/git:2.45.2',
      namespace: 'ci',
      resources: {
        requests: { cpu: '1', memory: '2Gi' },
        limits: { cpu: '2', memory: '8Gi' },
      },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
    });
  });

  it.each([
    [{ namespace: 'CI' }, 'k2.builds.kubernetes.namespace'],
    [{ podAnnotations: { a: 1 } }, 'k2.builds.kubernetes.podAnnotations'],
    [{ image: 'moby buildkit' }, 'k2.builds.kubernetes.image'],
    [
      { resources: { limits: { memory: 'lots' } } },
      'k2.builds.kubernetes.resources.limits.memory',
    ],
    [
      { resources: { requests: { cpu: 'fast' } } },
      'k2.builds.kubernetes.resources.requests.cpu',
    ],
  ])('names the bad key of %j', (kubernetes, key) => {
    let error: unknown;
    try {
      readKubernetesBuildSettings(
        new ConfigReader({ k2: { builds: { kubernetes } } }),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(K2ConfigError);
    expect((error as K2ConfigError).key).toBe(key);
  });
});
