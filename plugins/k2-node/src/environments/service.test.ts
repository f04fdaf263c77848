import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  k2EnvironmentsServiceFactory,
  k2EnvironmentsServiceRef,
} from './service';

const kubernetes = {
  clusterLocatorMethods: [
    {
      type: 'config',
      clusters: [
        {
          name: 'test',
          url: 'http://127.0.0.1:1',
          authProvider: 'serviceAccount',
        },
        {
          name: 'prod-a',
          url: 'http://127.0.0.1:2',
          authProvider: 'serviceAccount',
        },
      ],
    },
  ],
};

function config(clusters: string[]) {
  return mockServices.rootConfig.factory({
    data: {
      kubernetes,
      k2: {
        environments: [
          { name: 'test', clusters: [{ name: 'test' }] },
          { name: 'prod', clusters: clusters.map(name => ({ name })) },
        ],
      },
    },
  });
}

describe('k2EnvironmentsServiceFactory', () => {
  it('serves the validated model to plugins', async () => {
    let seen: string[] = [];
    const probe = createBackendPlugin({
      pluginId: 'probe',
      register(reg) {
        reg.registerInit({
          deps: {
            environments: k2EnvironmentsServiceRef,
            logger: coreServices.logger,
          },
          async init({ environments }) {
            seen = environments.listEnvironments().map(e => e.name);
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [k2EnvironmentsServiceFactory, config(['prod-a']), probe],
    });
    expect(seen).toEqual(['test', 'prod']);
    await backend.stop();
  });

  it('stops start-up when an environment names an unknown cluster, naming the key', async () => {
    await expect(
      startTestBackend({
        features: [k2EnvironmentsServiceFactory, config(['prod-a', 'prod-c'])],
      }),
    ).rejects.toThrow(
      /k2\.environments\[1\]\.clusters\[1\]\.name.*unknown cluster 'prod-c'/,
    );
  });
});
