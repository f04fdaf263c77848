import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the k2 core plugin beside the Deploy and Config backends, as the app runs them
import {
  ALICE,
  as,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
// The real Config backend, which the Deploy backend asks for config file versions.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2ConfigPlugin from '@internal/plugin-k2-config-backend';
// The action is tested against the real Deploy backend it calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2DeployPlugin from '@internal/plugin-k2-deploy-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api } from '@internal/sandbox-cluster/testUtils';
import knexFactory, { Knex } from 'knex';
import { AddressInfo } from 'net';
import { PassThrough } from 'stream';
import { createK2ReleaseAction } from './releaseAction';

jest.setTimeout(60_000);

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: {
      'k2.io/environments': 'test',
      'k2.io/namespace': 'shop',
      'k2.io/image': 'registry.k2.local/shop/checkout',
      'backstage.io/kubernetes-id': 'checkout',
    },
  },
  spec: {
    type: 'service',
    owner: 'group:default/shop-team',
    lifecycle: 'production',
  },
};

describe('k2:release', () => {
  let cluster: SandboxCluster;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['t'],
      timeScale: 0.1,
    });
    await cluster.listen(0);
  });
  afterAll(() => cluster.stop());

  async function run(
    result: AuthorizeResult.ALLOW | AuthorizeResult.DENY,
    input: object,
  ) {
    // Closed after the run (the default database stays open, its pool's timer keeping
    // the Jest worker alive).
    const database = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    const backend = await startTestBackend({
      features: [
        k2DeployPlugin,
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.database.factory({ knex: database }),
        mockServices.permissions.factory({ result }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    {
                      name: 'test',
                      url: cluster.url,
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 't',
                    },
                  ],
                },
              ],
            },
            k2: {
              environments: [{ name: 'test', clusters: [{ name: 'test' }] }],
            },
          },
        }),
      ],
    });
    const { port } = backend.server.address() as AddressInfo;
    const action = createK2ReleaseAction({
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async id => `http://localhost:${port}/api/${id}`,
        getExternalBaseUrl: async id => `http://localhost:${port}/api/${id}`,
      },
      pollIntervalMs: 100,
    });
    const output: Record<string, unknown> = {};
    const logs: string[] = [];
    try {
      await action.handler({
        input,
        output: (key: string, value: unknown) => {
          output[key] = value;
        },
        logger: { info: (m: string) => logs.push(m) },
        logStream: new PassThrough(),
        getInitiatorCredentials: async () =>
          mockCredentials.user('user:default/alice'),
        workspacePath: '/tmp',
        checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
        createTemporaryDirectory: async () => '/tmp',
      } as any);
      return { output, logs };
    } finally {
      await backend.stop();
      await database.destroy();
    }
  }

  it('releases through the release engine as the template runner and waits for the rollout', async () => {
    const { output, logs } = await run(AuthorizeResult.ALLOW, {
      entityRef: 'component:default/checkout',
      environment: 'test',
      image: '0.1.0',
    });
    expect(output).toMatchObject({ number: 1, status: 'succeeded' });
    expect(logs[0]).toMatch(
      /Release #1 of component:default\/checkout to test/,
    );
    const pods = await api(cluster).get(
      '/api/v1/namespaces/shop/pods?labelSelector=k2.io/service%3Dcheckout',
    );
    expect(
      pods.body.items.map((p: any) => p.spec.containers[0].image),
    ).toContain('registry.k2.local/shop/checkout:0.1.0');
  });

  it('fails the step with the engine’s refusal when the runner may not release', async () => {
    await expect(
      run(AuthorizeResult.DENY, {
        entityRef: 'component:default/checkout',
        environment: 'test',
        image: '0.2.0',
      }),
    ).rejects.toThrow(/You may not release component:default\/checkout/);
  });
});

describe('k2:release with volumes and config files', () => {
  const basket = serviceEntity('basket', {
    'k2.io/environments': 'test',
    'k2.io/namespace': 'shop',
    'k2.io/image': 'registry.k2.local/shop/basket',
  });
  const FILES =
    '/api/k2-config/services/default/basket/environments/test/files';
  let cluster: SandboxCluster;
  let knex: Knex;
  let backend: Awaited<ReturnType<typeof startK2PluginTestBackend>>;
  let base: string;

  beforeAll(async () => {
    cluster = new SandboxCluster({
      name: 'test',
      tokens: ['test-token'],
      timeScale: 0.1,
      bookmarkIntervalMs: 200,
    });
    await cluster.listen(0);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    backend = await startK2PluginTestBackend({
      plugin: k2ConfigPlugin,
      pluginId: 'k2-config',
      entities: [basket],
      clusters: [cluster],
      knex,
      features: [k2DeployPlugin],
      k2: {
        environments: [
          {
            name: 'test',
            clusters: [{ name: 'test' }],
            defaults: { replicas: 1 },
            release: { timeoutSeconds: 30, drainSeconds: 1 },
          },
        ],
      },
    });
    base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    await cluster?.stop();
  });

  /** Runs the action as alice, the service's owner. */
  async function runAsOwner(input: object) {
    const action = createK2ReleaseAction({
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async id => `${base}/api/${id}`,
        getExternalBaseUrl: async id => `${base}/api/${id}`,
      },
      pollIntervalMs: 100,
    });
    const output: Record<string, unknown> = {};
    await action.handler({
      input,
      output: (key: string, value: unknown) => {
        output[key] = value;
      },
      logger: { info: () => {} },
      logStream: new PassThrough(),
      getInitiatorCredentials: async () => mockCredentials.user(ALICE),
      workspacePath: '/tmp',
      checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
      createTemporaryDirectory: async () => '/tmp',
    } as any);
    return output;
  }

  /** Saves a config file version through the Config API, as alice. */
  async function save(path: string, body: object) {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...as(ALICE), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
  }

  /** The volumes and container mounts of basket's Deployment in the cluster. */
  async function podMounts() {
    const deployment = await api(cluster).get(
      '/apis/apps/v1/namespaces/shop/deployments/basket',
    );
    const pod = deployment.body.spec.template.spec;
    return { volumes: pod.volumes, mounts: pod.containers[0].volumeMounts };
  }

  it('mounts the volume and the config file version it is given, and keeps them when a later run leaves them out', async () => {
    await api(cluster).post('/api/v1/namespaces', {
      metadata: { name: 'shop' },
    });
    const claim = await api(cluster).post(
      '/api/v1/namespaces/shop/persistentvolumeclaims',
      {
        metadata: {
          name: 'basket-data',
          labels: {
            'k2.io/service': 'basket',
            'k2.io/environment': 'test',
            'app.kubernetes.io/managed-by': 'k2',
            'k2.io/volume': 'data',
          },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: '1Gi' } },
        },
      },
    );
    expect(claim.status).toBe(201);
    await save(FILES, {
      name: 'application.yaml',
      format: 'yaml',
      mountPath: '/app/config/application.yaml',
      content: 'server:\n  port: 8080\n',
      message: 'first',
    });
    await save(`${FILES}/application.yaml/versions`, {
      content: 'server:\n  port: 9090\n',
      baseVersion: 1,
      message: 'second',
    });

    const first = await runAsOwner({
      entityRef: 'component:default/basket',
      environment: 'test',
      image: '1.0.0',
      volumes: [{ volume: 'data', mountPath: '/data', readOnly: false }],
      configFiles: [
        {
          file: 'application.yaml',
          version: 1,
          mountPath: '/app/config/application.yaml',
        },
      ],
    });
    expect(first).toMatchObject({ number: 1, status: 'succeeded' });
    const { volumes, mounts } = await podMounts();
    const configMap = volumes.find((v: { configMap?: object }) => v.configMap)
      .configMap.name;
    const version1 = await api(cluster).get(
      `/api/v1/namespaces/shop/configmaps/${configMap}`,
    );
    expect(version1.body.data).toEqual({
      'application.yaml': 'server:\n  port: 8080\n',
    });
    expect(volumes).toContainEqual(
      expect.objectContaining({
        persistentVolumeClaim: { claimName: 'basket-data' },
      }),
    );
    expect(mounts).toContainEqual(
      expect.objectContaining({ mountPath: '/data', readOnly: false }),
    );
    expect(mounts).toContainEqual(
      expect.objectContaining({
        mountPath: '/app/config/application.yaml',
        subPath: 'application.yaml',
        readOnly: true,
      }),
    );

    // Left out, the running release's mounts are kept.
    const second = await runAsOwner({
      entityRef: 'component:default/basket',
      environment: 'test',
      image: '1.1.0',
    });
    expect(second).toMatchObject({ number: 2, status: 'succeeded' });
    expect((await podMounts()).volumes).toEqual(volumes);
  });

  it('fails the step with the engine’s refusal of a config version that does not exist', async () => {
    await expect(
      runAsOwner({
        entityRef: 'component:default/basket',
        environment: 'test',
        image: '1.2.0',
        configFiles: [
          {
            file: 'application.yaml',
            version: 7,
            mountPath: '/app/config/application.yaml',
          },
        ],
      }),
    ).rejects.toThrow(
      "version 7 of config file 'application.yaml' in test: application.yaml has no version 7",
    );
  });
});
