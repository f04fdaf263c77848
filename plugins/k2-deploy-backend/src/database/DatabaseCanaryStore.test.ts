import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { K2ReleaseSpec } from '@internal/plugin-k2-common';
import { DatabaseCanaryStore } from './DatabaseCanaryStore';
import { NewCanary } from './CanaryStore';

const databases = createK2TestDatabases();

const spec: K2ReleaseSpec = {
  name: 'payment-gateway',
  namespace: 'payments-core',
  image: 'registry.example.com/pay/gw:1.1.0',
  replicas: 2,
  clusters: [
    { name: 'east', replicas: 1, weight: 1 },
    { name: 'west', replicas: 1, weight: 1 },
  ],
  resources: {
    requests: { cpu: '250m', memory: '512Mi' },
    limits: { cpu: '1', memory: '1Gi' },
  },
  env: [],
  port: 8080,
  probes: {},
  drainSeconds: 10,
  terminationGracePeriodSeconds: 40,
  logDirectory: '/log-dir/k2-logs/payments-core/payment-gateway',
  volumes: [],
  configFiles: [],
  nodeSelector: {},
  timeoutSeconds: 600,
  autoRollback: false,
};

const canary = (overrides: Partial<NewCanary> = {}): NewCanary => ({
  service: 'component:default/payment-gateway',
  environment: 'test',
  namespace: 'payments-core',
  image: spec.image,
  replicas: 1,
  spec,
  baseRelease: { id: 'release-1', number: 1 },
  startedBy: 'user:default/alice',
  ...overrides,
});

describe.each(databases.eachSupportedId())(
  'DatabaseCanaryStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      return DatabaseCanaryStore.create({
        database: { getClient: async () => knex },
      });
    }

    it('runs exactly one of many parallel starts for a target; the rest learn which one runs', async () => {
      const store = await createStore();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.create(
            canary({ image: `registry.example.com/pay/gw:1.1.${i}` }),
          ),
        ),
      );
      const created = results.flatMap(r => ('created' in r ? [r.created] : []));
      const refused = results.flatMap(r => ('running' in r ? [r.running] : []));
      expect(created).toHaveLength(1);
      expect(refused.map(r => r.id)).toEqual(Array(7).fill(created[0].id));
      expect(created[0]).toMatchObject({
        status: 'running',
        spec,
        baseRelease: { id: 'release-1', number: 1 },
      });
      // Another environment is another target.
      expect(
        'created' in (await store.create(canary({ environment: 'prod' }))),
      ).toBe(true);
    });

    it('frees the target once the canary ended, and keeps the newest as the latest', async () => {
      const store = await createStore();
      const first = await store.create(canary());
      if (!('created' in first)) throw new Error('not created');
      const promoting = await store.transition(
        first.created.id,
        { status: 'running', promotionReleaseId: null },
        { promotion: { releaseId: 'release-2', number: 2 } },
      );
      expect(promoting?.promotion).toEqual({
        releaseId: 'release-2',
        number: 2,
      });
      expect((await store.listPromoting()).map(c => c.id)).toEqual([
        first.created.id,
      ]);
      // Compare and set: a second promotion of the same canary finds it taken.
      expect(
        await store.transition(
          first.created.id,
          { status: 'running', promotionReleaseId: null },
          { promotion: { releaseId: 'release-3', number: 3 } },
        ),
      ).toBeUndefined();

      const promoted = await store.transition(
        first.created.id,
        { status: 'running', promotionReleaseId: 'release-2' },
        {
          status: 'promoted',
          message: 'Promoted',
          endedBy: 'user:default/alice',
          endedAt: new Date('2026-11-28T10:00:00Z'),
        },
      );
      expect(promoted).toMatchObject({
        status: 'promoted',
        endedAt: '2026-11-28T10:00:00.000Z',
        promotion: { number: 2 },
      });
      expect(await store.listPromoting()).toEqual([]);

      const second = await store.create(canary({ image: 'x/y:2' }));
      expect('created' in second).toBe(true);
      expect(
        (await store.getLatest('component:default/payment-gateway', 'test'))
          ?.image,
      ).toBe('x/y:2');
    });
  },
);
