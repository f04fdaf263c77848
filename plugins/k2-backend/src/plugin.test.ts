import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import request from 'supertest';
import { DatabaseActivityStore } from './database/DatabaseActivityStore';
import { startK2TestBackend } from './__testUtils__/testBackend';

const databases = createK2TestDatabases();

const health = [
  { cluster: 'test', status: 'ok', stale: false, syncedAt: 'now' },
];

const SERVICE = 'component:default/payment-gateway';
const entry = {
  service: SERVICE,
  environment: 'test',
  actor: 'user:default/alice',
  action: 'scale',
  summary: 'Scale test to 3',
  result: 'succeeded',
};

async function start(
  databaseId: Parameters<typeof databases.init>[0],
  decide: AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  const knex = await databases.init(databaseId);
  const { server } = await startK2TestBackend({
    knex,
    decide,
    health,
  });
  return { api: request(server), knex };
}

const asPlugin = (pluginId: string) => ({
  Authorization: mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(`plugin:${pluginId}`),
    targetPluginId: 'k2',
  }),
});
const asUser = {
  Authorization: mockCredentials.user.header('user:default/alice'),
};

describe.each(databases.eachSupportedId())('k2 core plugin on %p', id => {
  it('migrates up and down cleanly', async () => {
    const knex = await databases.init(id);
    await DatabaseActivityStore.create({
      database: { getClient: async () => knex },
    });
    expect(await knex.schema.hasTable('k2_activity')).toBe(true);
    await knex.migrate.rollback(
      {
        directory: resolvePackagePath(
          '@internal/plugin-k2-backend',
          'migrations',
        ),
      },
      true,
    );
    expect(await knex.schema.hasTable('k2_activity')).toBe(false);
  });

  it('records entries from K2 plugins and pages them newest first', async () => {
    const { api } = await start(id);
    for (let i = 1; i <= 3; i++) {
      const res = await api
        .post('/api/k2/activity')
        .set(asPlugin('k2-deploy'))
        .send({ ...entry, summary: `Scale test to ${i}` });
      expect(res.status).toBe(201);
    }
    const first = await api
      .get('/api/k2/services/default/payment-gateway/activity?limit=2')
      .set(asUser);
    expect(first.status).toBe(200);
    expect(first.body.items.map((a: any) => a.summary)).toEqual([
      'Scale test to 3',
      'Scale test to 2',
    ]);
    expect(first.body.items[0]).toMatchObject({
      service: SERVICE,
      actor: 'user:default/alice',
      result: 'succeeded',
    });
    const second = await api
      .get(
        `/api/k2/services/default/payment-gateway/activity?limit=2&before=${first.body.nextCursor}`,
      )
      .set(asUser);
    expect(second.body.items.map((a: any) => a.summary)).toEqual([
      'Scale test to 1',
    ]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('lets no one but K2 plugins write, and refuses entries outside the contract', async () => {
    const { api, knex } = await start(id);
    const byUser = await api.post('/api/k2/activity').set(asUser).send(entry);
    expect(byUser.status).toBe(403);
    const byCatalog = await api
      .post('/api/k2/activity')
      .set(asPlugin('catalog'))
      .send(entry);
    expect(byCatalog.status).toBe(403);
    const extra = await api
      .post('/api/k2/activity')
      .set(asPlugin('k2-deploy'))
      .send({ ...entry, createdAt: '2020-01-01' });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/createdAt/);
    const badResult = await api
      .post('/api/k2/activity')
      .set(asPlugin('k2-deploy'))
      .send({ ...entry, result: 'maybe' });
    expect(badResult.status).toBe(400);
    expect(badResult.body.error.message).toMatch(/result/);
    const huge = await api
      .post('/api/k2/activity')
      .set(asPlugin('k2-deploy'))
      .send({ ...entry, summary: 'x'.repeat(5000) });
    expect(huge.status).toBe(400);
    const [{ n }] = await knex('k2_activity').count({ n: '*' });
    expect(Number(n)).toBe(0);
  });

  it('records a batch of entries in their order, all or none, from K2 plugins only', async () => {
    const { api, knex } = await start(id);
    const entries = Array.from({ length: 500 }, (_, i) => ({
      ...entry,
      summary: `Scale test to ${i + 1}`,
    }));
    const batch = await api
      .post('/api/k2/activity/batch')
      .set(asPlugin('k2-alerts'))
      .send({ entries });
    expect(batch.status).toBe(201);
    const newest = await api
      .get('/api/k2/services/default/payment-gateway/activity?limit=2')
      .set(asUser);
    expect(newest.body.items.map((a: any) => a.summary)).toEqual([
      'Scale test to 500',
      'Scale test to 499',
    ]);
    const count = async () =>
      Number((await knex('k2_activity').count({ n: '*' }))[0].n);
    expect(await count()).toBe(500);

    for (const headers of [asUser, asPlugin('catalog')]) {
      const refused = await api
        .post('/api/k2/activity/batch')
        .set(headers)
        .send({ entries: [entry] });
      expect(refused.status).toBe(403);
    }
    // One entry outside the contract refuses the batch, naming the field.
    const oneBad = await api
      .post('/api/k2/activity/batch')
      .set(asPlugin('k2-alerts'))
      .send({ entries: [entry, { ...entry, result: 'maybe' }] });
    expect(oneBad.status).toBe(400);
    expect(oneBad.body.error.message).toMatch(/result/);
    const tooMany = await api
      .post('/api/k2/activity/batch')
      .set(asPlugin('k2-alerts'))
      .send({ entries: [...entries, entry] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/entries/);
    const empty = await api
      .post('/api/k2/activity/batch')
      .set(asPlugin('k2-alerts'))
      .send({ entries: [] });
    expect(empty.status).toBe(400);
    // Past 2 MB the body is not even read.
    const tooLarge = await api
      .post('/api/k2/activity/batch')
      .set(asPlugin('k2-alerts'))
      .send({
        entries: Array.from({ length: 1100 }, () => ({
          ...entry,
          summary: 'x'.repeat(2000),
        })),
      });
    expect(tooLarge.status).toBe(413);
    // Someone who may not write is refused before the body is read, whatever its size.
    const largeFromUser = await api
      .post('/api/k2/activity/batch')
      .set(asUser)
      .send({
        entries: Array.from({ length: 1100 }, () => ({
          ...entry,
          summary: 'x'.repeat(2000),
        })),
      });
    expect(largeFromUser.status).toBe(403);
    // The single-entry route keeps its own 64 kB cap.
    const largeSingle = await api
      .post('/api/k2/activity')
      .set(asPlugin('k2-alerts'))
      .send({ ...entry, summary: 'x'.repeat(70_000) });
    expect(largeSingle.status).toBe(413);
    expect(await count()).toBe(500);
  });

  it('answers bad paging with 400 naming the parameter', async () => {
    const { api } = await start(id);
    for (const [query, field] of [
      ['before=abc', 'before'],
      ['limit=1000', 'limit'],
      ['limit=0', 'limit'],
    ]) {
      const res = await api
        .get(`/api/k2/services/default/payment-gateway/activity?${query}`)
        .set(asUser);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(field);
    }
  });

  it('checks the reader’s permission on activity and cluster health', async () => {
    const { api } = await start(id, AuthorizeResult.DENY);
    const activity = await api
      .get('/api/k2/services/default/payment-gateway/activity')
      .set(asUser);
    expect(activity.status).toBe(403);
    const clusters = await api.get('/api/k2/clusters').set(asUser);
    expect(clusters.status).toBe(403);
  });

  it('serves the health of every cluster', async () => {
    const { api } = await start(id);
    const res = await api.get('/api/k2/clusters').set(asUser);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(health);
  });
});
