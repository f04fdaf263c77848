import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { DatabaseInstanceStore } from './DatabaseInstanceStore';
import { EndedContainer } from './InstanceStore';

const databases = createK2TestDatabases();

const run = (
  n: number,
  overrides: Partial<EndedContainer> = {},
): EndedContainer => ({
  id: `test/uid-${n}/app/0`,
  serviceId: 'ledger',
  environment: 'test',
  cluster: 'test',
  namespace: 'finance',
  pod: `ledger-abc-${n}`,
  container: 'app',
  node: 'node-1',
  ip: `10.0.0.${n}`,
  image: 'registry.k2.local/finance/ledger:1.0.0',
  release: 1,
  run: 0,
  startedAt: '2026-11-20T10:00:00.000Z',
  // One minute apart, newest last.
  endedAt: new Date(Date.UTC(2026, 10, 20, 11, n)).toISOString(),
  end: 'replaced',
  message: 'Replaced by release #2',
  events: [
    {
      namespace: 'finance',
      object: `Pod/ledger-abc-${n}`,
      reason: 'Killing',
      message: 'Stopping container app',
      count: 1,
    },
  ],
  ...overrides,
});

const targets = [{ environment: 'test', namespace: 'finance' }];

describe.each(databases.eachSupportedId())(
  'DatabaseInstanceStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      return DatabaseInstanceStore.create({
        database: { getClient: async () => knex },
      });
    }

    it('records a run once, whichever backend replica reports it first', async () => {
      const store = await createStore();
      await Promise.all([
        store.record([run(1)]),
        store.record([run(1, { message: 'a second replica' })]),
      ]);
      await store.record([run(1, { message: 'a late duplicate' })]);
      const { items } = await store.list({
        serviceId: 'ledger',
        targets,
        limit: 10,
      });
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        pod: 'ledger-abc-1',
        end: 'replaced',
        release: 1,
        events: [expect.objectContaining({ reason: 'Killing' })],
      });
      expect(items[0].message).not.toBe('a late duplicate');
    });

    it('lists newest first, in pages, only for the service, environment and cluster asked', async () => {
      const store = await createStore();
      await store.record(Array.from({ length: 60 }, (_, i) => run(i)));
      await store.record([
        run(100, { serviceId: 'other' }),
        run(101, { environment: 'prod', namespace: 'finance' }),
        run(102, { namespace: 'elsewhere' }),
        run(103, { cluster: 'test-2' }),
      ]);
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await store.list({
          serviceId: 'ledger',
          targets,
          cluster: 'test',
          limit: 25,
          before,
        });
        seen.push(...page.items.map(i => i.pod));
        before = page.nextCursor;
      } while (before);
      expect(seen).toEqual(
        Array.from({ length: 60 }, (_, i) => `ledger-abc-${59 - i}`),
      );
      const all = await store.list({
        serviceId: 'ledger',
        targets: [...targets, { environment: 'prod', namespace: 'finance' }],
        limit: 100,
      });
      expect(all.items.map(i => i.pod)).toEqual(
        expect.arrayContaining(['ledger-abc-101', 'ledger-abc-103']),
      );
      expect(all.items.map(i => i.pod)).not.toContain('ledger-abc-102');
      expect(all.items.map(i => i.pod)).not.toContain('ledger-abc-100');
    });

    it('forgets runs past retention', async () => {
      const store = await createStore();
      await store.record([run(1), run(30)]);
      const removed = await store.deleteEndedBefore(
        new Date(Date.UTC(2026, 10, 20, 11, 10)),
      );
      expect(removed).toBe(1);
      const { items } = await store.list({
        serviceId: 'ledger',
        targets,
        limit: 10,
      });
      expect(items.map(i => i.pod)).toEqual(['ledger-abc-30']);
    });
  },
);
