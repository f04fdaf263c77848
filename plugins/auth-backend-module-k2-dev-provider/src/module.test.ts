import authPlugin from '@backstage/plugin-auth-backend';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { authModuleK2DevProvider } from './module';

const users = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'alice', namespace: 'default' },
    spec: {
      profile: { displayName: 'Alice Chen', email: 'alice@northwind.example' },
      memberOf: ['payments-team'],
    },
    relations: [{ type: 'memberOf', targetRef: 'group:default/payments-team' }],
  },
];

// The auth backend's databases, closed after the file (the default one stays open, its
// pool's timer keeping the Jest worker alive).
const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

async function startAuth(enabled: boolean) {
  return startTestBackend({
    features: [
      authPlugin,
      mockServices.database.factory({ knex: await databases.init('SQLITE_3') }),
      authModuleK2DevProvider,
      catalogServiceMock.factory({ entities: users }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { providers: { 'k2-dev': {} } },
          k2: { devSignIn: { enabled } },
        },
      }),
    ],
  });
}

describe('development sign-in provider', () => {
  it('signs in as the chosen catalog user, with ownership from the catalog', async () => {
    const backend = await startAuth(true);
    const { server } = backend;
    const res = await request(server)
      .get('/api/auth/k2-dev/refresh')
      .set('x-k2-dev-user', 'user:default/alice');
    expect(res.status).toBe(200);
    expect(res.body.profile).toEqual({
      displayName: 'Alice Chen',
      email: 'alice@northwind.example',
    });
    expect(res.body.backstageIdentity.identity).toEqual({
      type: 'user',
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: expect.arrayContaining([
        'user:default/alice',
        'group:default/payments-team',
      ]),
    });
    expect(res.body.backstageIdentity.token).toEqual(expect.any(String));
    await backend.stop();
  });

  it('refuses users who are not in the catalog, and requests without a choice', async () => {
    const backend = await startAuth(true);
    const { server } = backend;
    const unknown = await request(server)
      .get('/api/auth/k2-dev/refresh')
      .set('x-k2-dev-user', 'user:default/mallory');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      "No user 'user:default/mallory' in the catalog; choose another demo user",
    );

    const missing = await request(server).get('/api/auth/k2-dev/refresh');
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toMatch(/x-k2-dev-user/);

    const malformed = await request(server)
      .get('/api/auth/k2-dev/refresh')
      .set('x-k2-dev-user', 'group:default/payments-team');
    expect(malformed.status).toBe(400);
    await backend.stop();
  });

  it('is absent unless k2.devSignIn.enabled', async () => {
    const backend = await startAuth(false);
    const { server } = backend;
    const res = await request(server)
      .get('/api/auth/k2-dev/refresh')
      .set('x-k2-dev-user', 'user:default/alice');
    expect(res.status).toBe(404);
    await backend.stop();
  });

  it('refuses to start under NODE_ENV=production', async () => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(startAuth(true)).rejects.toThrow(
        /must never run in production/,
      );
    } finally {
      process.env.NODE_ENV = env;
    }
  });
});
