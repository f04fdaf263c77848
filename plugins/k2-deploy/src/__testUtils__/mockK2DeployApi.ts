import { createApiMock } from '@backstage/frontend-test-utils';
import { K2Release } from '@internal/plugin-k2-common';
import { K2DeployApi, k2DeployApiRef } from '../api/K2DeployApi';
import {
  canary,
  historicalContainer,
  IMAGE_REPOSITORY,
  recommendation,
  release,
  releaseDefaults,
  releaseList,
  releaseSpec,
  serviceRuntime,
} from './fixtures';

/**
 * A `K2DeployApi` whose every method is a `jest.fn` answering with realistic
 * fixtures. Pass it straight to `renderInTestApp(..., { apis: [api] })`; override one
 * method with `createK2DeployApi({ getReleases: async () => ... })` or
 * `api.release.mockRejectedValue(...)`, and assert on the calls.
 *
 * By default `test` runs release #7 (1.4.2 × 2) after #6 (1.4.1 × 2), `prod` has no
 * releases, and actions answer with a new release. A preview is the running spec with
 * the requested image, changing the image alone (or nothing, for the same image).
 */
export const createK2DeployApi = createApiMock(k2DeployApiRef, () => {
  const history: K2Release[] = [
    release({ number: 7 }),
    release({
      number: 6,
      spec: { image: 'registry.northwind.internal/payments/gateway:1.4.1' },
      createdAt: '2026-11-20T10:00:00.000Z',
      startedAt: '2026-11-20T10:00:00.000Z',
      finishedAt: '2026-11-20T10:03:00.000Z',
    }),
  ];
  const started = (kind: K2Release['kind'], environment = 'test') =>
    release({
      number: 8,
      kind,
      environment,
      status: 'applying',
      finishedAt: undefined,
    });
  const fake: K2DeployApi = {
    getRuntime: async () => serviceRuntime(),
    getReleases: async (_service, options) =>
      releaseList(
        history.filter(
          r => !options.environment || r.environment === options.environment,
        ),
      ),
    getRelease: async id => history.find(r => r.id === id)!,
    release: async (_service, input) => started('release', input.environment),
    previewRelease: async (_service, input) => {
      const running = history.find(
        r => r.environment === input.environment && r.status === 'succeeded',
      );
      const image = input.image.includes('/')
        ? input.image
        : `${IMAGE_REPOSITORY}:${input.image}`;
      return {
        environment: input.environment,
        number:
          Math.max(
            0,
            ...history
              .filter(r => r.environment === input.environment)
              .map(r => r.number),
          ) + 1,
        current: running,
        spec: { ...(running?.spec ?? releaseSpec()), image },
        changes:
          running?.spec.image === image
            ? []
            : [{ path: 'image', before: running?.spec.image, after: image }],
        approval: input.environment === 'prod',
      };
    },
    getVolumeNames: async () => ['data'],
    getConfigFiles: async () => [
      {
        name: 'application.yaml',
        latest: 4,
        mountPath: '/app/config/application.yaml',
        sensitive: false,
      },
    ],
    getReleaseDefaults: async (_service, environment) =>
      releaseDefaults({ environment }),
    getCanary: async () => ({}),
    startCanary: async (_service, environment, input) =>
      canary({
        environment,
        image: input.image.includes('/')
          ? input.image
          : `${IMAGE_REPOSITORY}:${input.image}`,
        replicas: input.replicas ?? 1,
      }),
    promoteCanary: async (_service, environment) =>
      canary({
        environment,
        promotion: { releaseId: 'rel-test-8', number: 8 },
        message:
          'Release #8 is rolling out; the canary runs until it completes',
      }),
    abortCanary: async (_service, environment) =>
      canary({ environment, status: 'aborted', clusters: [] }),
    rollback: async () => started('rollback'),
    approve: async id => ({
      ...history.find(r => r.id === id)!,
      status: 'applying',
    }),
    reject: async id => ({
      ...history.find(r => r.id === id)!,
      status: 'rejected',
    }),
    cancel: async id => ({
      ...history.find(r => r.id === id)!,
      status: 'cancelled',
    }),
    scale: async (_service, environment) => started('scale', environment),
    restart: async (_service, environment) => started('restart', environment),
    adopt: async (_service, environment) =>
      release({
        number: 1,
        environment,
        message: 'Adopted: recorded from the running Deployment',
      }),
    setAutoscaling: async (_service, environment) =>
      started('scale', environment),
    getRecommendation: async () => recommendation(),
    getImageTags: async () => ({
      repository: 'registry.northwind.internal/payments/gateway',
      registry: 'registry.northwind.internal',
      tags: ['1.5.0', '1.4.2', '1.4.1', 'latest'],
      source: 'registry',
      truncated: false,
      listedAt: '2026-11-20T10:05:00.000Z',
    }),
    getActivity: async () => ({ items: [] }),
    getInstanceHistory: async () => ({ items: [historicalContainer()] }),
    getEvents: async () => ({ items: [] }),
    getUsage: async (_service, instance) => ({
      cluster: instance.cluster,
      pod: instance.pod,
      sampledAt: new Date().toISOString(),
      containers: [
        {
          container: 'payment-gateway',
          cpuMillicores: 180,
          cpuLimitMillicores: 1000,
          memoryBytes: 420 * 2 ** 20,
          memoryLimitBytes: 2 ** 30,
        },
      ],
    }),
    readLogs: async (_service, _instance, _query, onText) => {
      onText('Started PaymentGatewayApplication in 4.2 seconds\n');
    },
    downloadLogs: async () => {},
    setTraffic: async () => {},
    restartInstance: async () => {},
    destroyInstance: async () => {},
    getShellPolicy: async (_service, environment) =>
      environment === 'prod'
        ? {
            shell: {
              allowed: false,
              reason: 'Shells are not allowed in Production',
            },
            debug: {
              allowed: false,
              reason: 'Debug containers are not allowed in Production',
            },
            debugImages: [],
            idleTimeoutSeconds: 900,
            maxDurationSeconds: 7200,
          }
        : {
            shell: { allowed: true },
            debug: { allowed: true },
            debugImages: [
              {
                name: 'busybox',
                image: 'busybox:1.36',
                description: 'BusyBox shell and tools',
              },
              { name: 'netshoot', image: 'nicolaka/netshoot:v0.13' },
            ],
            idleTimeoutSeconds: 900,
            maxDurationSeconds: 7200,
          },
    openShell: async (_service, _instance, input) => ({
      sessionId: '6f1c2a4e-0000-4000-8000-000000000001',
      ticket: 'tkt-shell',
      expiresAt: new Date(Date.now() + 30_000).toISOString(),
      path: '/shell-sessions/6f1c2a4e-0000-4000-8000-000000000001/stream',
      container: input.container,
    }),
    startDebugContainer: async () => ({
      sessionId: '6f1c2a4e-0000-4000-8000-000000000002',
      ticket: 'tkt-debug',
      expiresAt: new Date(Date.now() + 30_000).toISOString(),
      path: '/shell-sessions/6f1c2a4e-0000-4000-8000-000000000002/stream',
      container: 'k2-debug-x7k2p',
    }),
    listShellSessions: async () => ({ items: [] }),
    shellSocketUrl: async path => `ws://localhost:7007/api/k2-deploy${path}`,
  };
  // Every method a jest.fn over the fake, so tests can assert on calls and override.
  return Object.fromEntries(
    Object.entries(fake).map(([name, method]) => [name, jest.fn(method)]),
  ) as unknown as jest.Mocked<K2DeployApi>;
});

/** An error as the client throws it for a refused request (a `ResponseError`'s body). */
export function refusal(
  message: string,
  name = 'InputError',
  statusCode = name === 'NotAllowedError' ? 403 : 400,
) {
  return Object.assign(new Error(`Request failed with ${statusCode}`), {
    name: 'ResponseError',
    body: { error: { name, message }, response: { statusCode } },
  });
}
