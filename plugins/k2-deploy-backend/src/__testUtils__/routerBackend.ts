import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { Readable } from 'stream';
import { createRouter } from '../router';

/**
 * Every service method the Deploy routes may call, each a `jest.fn` recording its
 * calls; those that answer a release answer `release`.
 */
export function deployServiceFakes(release: object) {
  return {
    engine: {
      authorizeRead: jest.fn(async () => {}),
      release: jest.fn(async () => release),
      rollback: jest.fn(async () => release),
      decide: jest.fn(async () => release),
      cancel: jest.fn(async () => release),
      scale: jest.fn(async () => release),
      restart: jest.fn(async () => release),
      setAutoscaling: jest.fn(async () => release),
      recommendReplicas: jest.fn(async () => ({ replicas: 1 })),
      preview: jest.fn(async () => ({
        environment: 'test',
        number: 2,
        spec: (release as { spec?: object }).spec,
        changes: [],
        approval: false,
      })),
      releaseDefaults: jest.fn(async () => ({
        environment: 'test',
        replicas: { value: 1, source: 'environment' },
        cpu: { value: '1', source: 'environment' },
        memory: { value: '1Gi', source: 'environment' },
      })),
    },
    mounts: { list: jest.fn(async () => []) },
    store: {
      history: jest.fn(async () => ({ items: [], total: 0 })),
      get: jest.fn(async () => release),
    },
    instanceHistory: { list: jest.fn(async () => ({ items: [] })) },
    instanceEvents: { list: jest.fn(async () => ({ items: [] })) },
    instanceLogs: {
      open: jest.fn(async () => ({
        stream: Readable.from(['a line\n']),
        filename: 'pod.log',
      })),
    },
    instanceUsage: { read: jest.fn(async () => ({ containers: [] })) },
    instanceActions: {
      setTraffic: jest.fn(async () => ({ inTraffic: false })),
      end: jest.fn(async () => {}),
    },
    adoption: { adopt: jest.fn(async () => release) },
    runtime: { getRuntime: jest.fn(async () => ({ environments: [] })) },
    driver: { liveProgress: jest.fn(() => []) },
    access: { get: jest.fn(async () => ({ items: [] })) },
  };
}

/**
 * A test backend holding only the Deploy router (the OpenAPI contract and every
 * route, with the real auth services of `startTestBackend`) over `services`: fakes, or
 * real stores where a test needs them.
 */
export function startDeployRouterBackend(services: object) {
  return startTestBackend({
    features: [
      createBackendPlugin({
        pluginId: 'k2-deploy',
        register(env) {
          env.registerInit({
            deps: {
              httpRouter: coreServices.httpRouter,
              httpAuth: coreServices.httpAuth,
            },
            async init({ httpRouter, httpAuth }) {
              httpRouter.use(
                await createRouter({ httpAuth, ...(services as any) }),
              );
            },
          });
        },
      }),
    ],
  });
}
