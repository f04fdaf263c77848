import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import knexFactory from 'knex';
import { scaffolderModuleK2 } from './module';

jest.setTimeout(60_000);

/** The ids of the actions the scaffolder lists, with the module and `k2` config. */
async function actionIds(k2: object) {
  // Closed after the run (the default database stays open, its pool's timer keeping
  // the Jest worker alive).
  const database = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleK2,
      catalogServiceMock.factory({ entities: [] }),
      mockServices.database.factory({ knex: database }),
      mockServices.rootConfig.factory({ data: { k2 } }),
    ],
  });
  try {
    const response = await fetch(
      `http://localhost:${backend.server.port()}/api/scaffolder/v2/actions`,
      {
        headers: {
          authorization: `Bearer ${mockCredentials.user.token()}`,
        },
      },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as Array<{ id: string }>)
      .map(action => action.id)
      .filter(id => id.startsWith('k2:'))
      .sort();
  } finally {
    await backend.stop();
    await database.destroy();
  }
}

describe('the K2 scaffolder module', () => {
  it('registers k2:publish:local-git only where the local Git server is configured and enabled', async () => {
    const always = [
      'k2:alerts:defaults',
      'k2:build',
      'k2:catalog:register',
      'k2:middleware:create',
      'k2:release',
    ];
    const localGit = {
      url: 'http://127.0.0.1:7108',
      tokenFile: '.k2/git/.push-token',
    };
    expect(await actionIds({})).toEqual(always);
    expect(await actionIds({ builds: { localGit } })).toEqual(
      [...always, 'k2:publish:local-git'].sort(),
    );
    expect(
      await actionIds({
        builds: { localGit: { ...localGit, enabled: false } },
      }),
    ).toEqual(always);
  });
});
