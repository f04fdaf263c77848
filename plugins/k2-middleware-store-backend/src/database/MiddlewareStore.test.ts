import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import {
  DatabaseMiddlewareStore,
  MIGRATIONS,
  NewInstance,
} from './MiddlewareStore';

const databases = createK2TestDatabases();

const SERVICE = 'component:default/payment-gateway';

const instance = (overrides: Partial<NewInstance> = {}): NewInstance => ({
  name: 'cache',
  service: SERVICE,
  owner: 'group:default/payments-team',
  environment: 'test',
  cluster: 'test-1',
  namespace: 'payment-gateway',
  template: 'redis-7',
  product: 'redis',
  version: '7.2',
  category: 'cache',
  parameters: { size: 'small', replicas: 1 },
  phase: 'active',
  expiresAt: '2026-12-17T00:00:00.000Z',
  secretName: 'cache-credentials',
  createdBy: 'user:default/alice',
  ...overrides,
});

const created = {
  type: 'created',
  actor: 'user:default/alice',
  summary: 'Created',
};

describe.each(databases.eachSupportedId())(
  'DatabaseMiddlewareStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      const store = await DatabaseMiddlewareStore.create({
        database: { getClient: async () => knex },
      });
      return { knex, store };
    }

    it('keeps a name unique per environment, and the instance’s parameters and approval as written', async () => {
      const { store } = await createStore();
      const first = await store.createInstance(
        instance({
          approval: {
            requestedBy: 'user:default/alice',
            requestedAt: '2026-12-10T00:00:00.000Z',
            reason: 'load test',
          },
        }),
        created,
      );
      expect(first).toMatchObject({
        name: 'cache',
        phase: 'active',
        parameters: { size: 'small', replicas: 1 },
        expiresAt: '2026-12-17T00:00:00.000Z',
        renewals: 0,
        revision: 1,
        approval: { reason: 'load test' },
      });
      expect(first!.remindedAt).toBeUndefined();
      expect(await store.createInstance(instance(), created)).toBeUndefined();
      // The same name in another environment is another instance.
      expect(
        await store.createInstance(instance({ environment: 'prod' }), created),
      ).toMatchObject({ environment: 'prod' });
      expect(await store.getInstanceByName('test', 'cache')).toMatchObject({
        id: first!.id,
      });
      expect(await store.listEvents(first!.id)).toEqual([
        expect.objectContaining({ type: 'created', summary: 'Created' }),
      ]);
    });

    it('moves a phase only from the expected one, so of two replicas one acts', async () => {
      const { store } = await createStore();
      const { id } = (await store.createInstance(instance(), created))!;
      const deleting = {
        from: ['active' as const],
        to: 'deleting' as const,
        reason: 'deleted',
        event: { type: 'deleting', summary: 'Deletion requested' },
      };
      const [a, b] = await Promise.all([
        store.transition(id, deleting),
        store.transition(id, deleting),
      ]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      expect(await store.getInstance(id)).toMatchObject({
        phase: 'deleting',
        phaseReason: 'deleted',
        revision: 2,
      });
      expect((await store.listEvents(id)).map(e => e.type)).toEqual([
        'created',
        'deleting',
      ]);
      expect(
        await store.transition(id, { from: ['active'], to: 'updating' }),
      ).toBeUndefined();
    });

    it('updates only at the read revision', async () => {
      const { store } = await createStore();
      const read = (await store.createInstance(instance(), created))!;
      const renewed = await store.update(read.id, {
        revision: read.revision,
        patch: {
          expiresAt: '2026-12-30T00:00:00.000Z',
          renewals: 1,
          remindedAt: null,
        },
        event: { type: 'renewed', summary: 'Renewed' },
      });
      expect(renewed).toMatchObject({ renewals: 1, revision: 2 });
      // A second writer who read revision 1 loses.
      expect(
        await store.update(read.id, {
          revision: read.revision,
          patch: { renewals: 5 },
        }),
      ).toBeUndefined();
      expect(
        await store.update(read.id, {
          revision: 2,
          phases: ['deleted'],
          patch: { renewals: 5 },
        }),
      ).toBeUndefined();
      expect((await store.getInstance(read.id))!.renewals).toBe(1);
    });

    it('lists by service, owner, phase and expiry, with bound instances on the bound service', async () => {
      const { store } = await createStore();
      const cache = (await store.createInstance(instance(), created))!;
      const db = (await store.createInstance(
        instance({
          name: 'orders-db',
          service: 'component:default/orders',
          expiresAt: '2027-01-30T00:00:00.000Z',
        }),
        created,
      ))!;
      expect(
        (
          await store.listInstances({ expiresBy: '2026-12-20T00:00:00.000Z' })
        ).map(i => i.name),
      ).toEqual(['cache']);
      expect(
        await store.listInstances({ reminded: true, phases: ['active'] }),
      ).toEqual([]);
      expect(
        (await store.listServiceInstances('component:default/orders')).map(
          i => i.name,
        ),
      ).toEqual(['orders-db']);

      expect(
        await store.addBinding(
          {
            instanceId: cache.id,
            service: 'component:default/orders',
            createdBy: 'user:default/alice',
          },
          ['active'],
        ),
      ).toBe(true);
      expect(
        (await store.listServiceInstances('component:default/orders'))
          .map(i => i.name)
          .sort(),
      ).toEqual(['cache', 'orders-db']);
      expect(await store.listBindings([cache.id, db.id])).toEqual([
        expect.objectContaining({
          instanceId: cache.id,
          service: 'component:default/orders',
        }),
      ]);
      // Bound once; an instance in another phase is not bound.
      expect(
        await store.addBinding(
          {
            instanceId: cache.id,
            service: 'component:default/orders',
            createdBy: 'user:default/alice',
          },
          ['active'],
        ),
      ).toBe(false);
      expect(
        await store.addBinding(
          { instanceId: db.id, service: SERVICE, createdBy: 'user:default/a' },
          ['deleted'],
        ),
      ).toBe(false);

      // A bound instance is not deleted; unbound, it is.
      const deleting = {
        from: ['active' as const],
        to: 'deleting' as const,
        unbound: true,
      };
      expect(await store.transition(cache.id, deleting)).toBeUndefined();
      expect(
        await store.removeBinding(cache.id, 'component:default/orders'),
      ).toBe(true);
      expect(
        await store.removeBinding(cache.id, 'component:default/orders'),
      ).toBe(false);
      expect(await store.transition(cache.id, deleting)).toMatchObject({
        phase: 'deleting',
      });
    });

    it('saves a backup once, tracks its dump and purges the instance so its name is free', async () => {
      const { store } = await createStore();
      const { id } = (await store.createInstance(instance(), created))!;
      const backup = {
        instanceId: id,
        savedAt: '2026-12-17T00:00:00.000Z',
        reason: 'expired' as const,
        restorableUntil: '2026-12-24T00:00:00.000Z',
        manifests: [{ kind: 'StatefulSet', metadata: { name: 'cache' } }],
        volumes: ['data-cache-0'],
      };
      expect(await store.saveBackup(backup)).toEqual(backup);
      // A resumed deletion keeps what the first one saved.
      expect(
        await store.saveBackup({ ...backup, volumes: [], reason: 'deleted' }),
      ).toEqual(backup);
      await store.setBackupDump(id, {
        job: 'cache-dump',
        volume: 'cache-backup',
        state: 'succeeded',
      });
      expect((await store.getBackup(id))!.dump).toEqual({
        job: 'cache-dump',
        volume: 'cache-backup',
        state: 'succeeded',
      });
      expect(
        await store.listExpiredBackups('2026-12-23T00:00:00.000Z'),
      ).toEqual([]);
      expect(
        (await store.listExpiredBackups('2026-12-24T00:00:00.000Z')).map(
          b => b.instanceId,
        ),
      ).toEqual([id]);

      await store.purgeInstance(id);
      expect(await store.getInstance(id)).toBeUndefined();
      expect(await store.getBackup(id)).toBeUndefined();
      expect(await store.listEvents(id)).toEqual([]);
      expect(await store.createInstance(instance(), created)).toBeDefined();
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await knex.migrate.rollback({ directory: MIGRATIONS }, true);
      expect(await knex.schema.hasTable('k2_middleware_instances')).toBe(false);
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_middleware_events')).toBe(true);
    });
  },
);
