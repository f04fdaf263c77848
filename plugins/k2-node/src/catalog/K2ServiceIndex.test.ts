import {
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  catalogProcessingExtensionPoint,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { K2ServiceIndex } from './K2ServiceIndex';
import { k2ServiceIndexServiceRef } from './service';

function component(name: string, k2 = true): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      annotations: {
        'backstage.io/managed-by-location': 'url:https://k2.example/catalog',
        'backstage.io/managed-by-origin-location':
          'url:https://k2.example/catalog',
        ...(k2 ? { 'k2.io/environments': 'test' } : {}),
      },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'group:team-a' },
  };
}

async function eventually(check: () => Promise<void> | void, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise(r => setTimeout(r, 200));
    }
  }
}

describe('K2ServiceIndex against the real catalog', () => {
  jest.setTimeout(120_000);
  // The catalog's database, closed after the file (the default one stays open, its
  // pool's timer keeping the Jest worker alive).
  const databases = TestDatabases.create({
    ids: ['SQLITE_3'],
    disableDocker: true,
  });

  it('holds every K2 component across catalog pages, follows removals and reads unknown services from the catalog', async () => {
    let connection: EntityProviderConnection | undefined;
    let index: K2ServiceIndex | undefined;

    // More than one catalog page (500) of K2 services, and one component without K2.
    const services = Array.from({ length: 520 }, (_, i) =>
      component(`svc-${String(i).padStart(3, '0')}`),
    );
    const plain = component('plain', false);
    const apply = (entities: Entity[]) =>
      connection!.applyMutation({
        type: 'full',
        entities: entities.map(entity => ({ entity, locationKey: 'k2-test' })),
      });

    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        // The real scheduler: the index refreshes on its schedule, as in production.
        schedulerServiceFactory,
        mockServices.rootConfig.factory({
          data: { k2: { serviceIndex: { refreshInterval: '1s' } } },
        }),
        createBackendModule({
          pluginId: 'catalog',
          moduleId: 'k2-test-entities',
          register(env) {
            env.registerInit({
              deps: { catalog: catalogProcessingExtensionPoint },
              async init({ catalog }) {
                catalog.addEntityProvider({
                  getProviderName: () => 'k2-test',
                  connect: async c => {
                    connection = c;
                  },
                });
              },
            });
          },
        }),
        createBackendPlugin({
          pluginId: 'k2-test',
          register(env) {
            env.registerInit({
              deps: { serviceIndex: k2ServiceIndexServiceRef },
              async init({ serviceIndex }) {
                index = serviceIndex;
              },
            });
          },
        }),
      ],
    });
    try {
      await apply([...services, plain]);
      await eventually(() => expect(index!.status.services).toBe(520));
      const svc = await index!.get({
        kind: 'Component',
        namespace: 'default',
        name: 'SVC-007',
      });
      expect(svc?.metadata.name).toBe('svc-007');

      // Not a K2 service: answered by the catalog, never indexed.
      const other = await index!.get({
        kind: 'component',
        namespace: 'default',
        name: 'plain',
      });
      expect(other?.metadata.name).toBe('plain');
      expect(
        await index!.get({
          kind: 'component',
          namespace: 'default',
          name: 'nope',
        }),
      ).toBeUndefined();
      expect(index!.status.services).toBe(520);

      // A removed service leaves the index at the next refresh; a new one arrives.
      await apply([...services.slice(1), component('svc-new'), plain]);
      await eventually(async () => {
        expect(
          await index!.get({
            kind: 'component',
            namespace: 'default',
            name: 'svc-000',
          }),
        ).toBeUndefined();
        expect(index!.status.services).toBe(520);
      });
    } finally {
      await backend.stop();
    }
  });
});
