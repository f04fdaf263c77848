import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// The action is tested against the real Deploy backend it calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import k2DeployPlugin from '@internal/plugin-k2-deploy-backend';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { api } from '@internal/sandbox-cluster/testUtils';
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
    const backend = await startTestBackend({
      features: [
        k2DeployPlugin,
        catalogServiceMock.factory({ entities: [entity] }),
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
