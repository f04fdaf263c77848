import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { K2ReleaseSpec } from '@internal/plugin-k2-common';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { DatabaseReleaseStore } from './DatabaseReleaseStore';

const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-deploy-backend',
  'migrations',
);
import { NewRelease } from './ReleaseStore';

const databases = createK2TestDatabases();

const spec = (image: string): K2ReleaseSpec => ({
  name: 'payment-gateway',
  namespace: 'payments-core',
  image,
  replicas: 2,
  clusters: [{ name: 'test', replicas: 2, weight: 1 }],
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
});

const release = (overrides: Partial<NewRelease> = {}): NewRelease => ({
  service: 'component:default/payment-gateway',
  environment: 'test',
  namespace: 'payments-core',
  kind: 'release',
  status: 'applying',
  spec: spec('registry.example.com/pay/gw:1.0.0'),
  createdBy: 'user:default/alice',
  ...overrides,
});

describe.each(databases.eachSupportedId())(
  'DatabaseReleaseStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      return DatabaseReleaseStore.create({
        database: { getClient: async () => knex },
      });
    }

    it('migrates up and down cleanly', async () => {
      const knex = await databases.init(databaseId);
      await DatabaseReleaseStore.create({
        database: { getClient: async () => knex },
      });
      expect(await knex.schema.hasTable('k2_releases')).toBe(true);
      expect(await knex.schema.hasTable('k2_instance_history')).toBe(true);
      // The activity log moved to the k2 core plugin; stepping back brings its table back.
      expect(await knex.schema.hasTable('k2_activity')).toBe(false);
      expect(await knex.schema.hasColumn('k2_releases', 'waiting_target')).toBe(
        true,
      );
      expect(await knex.schema.hasColumn('k2_releases', 'follow_ups')).toBe(
        true,
      );
      // The image digest came last, shell sessions and canaries before it.
      expect(await knex.schema.hasColumn('k2_releases', 'image_digest')).toBe(
        true,
      );
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasColumn('k2_releases', 'image_digest')).toBe(
        false,
      );
      expect(await knex.schema.hasTable('k2_shell_sessions')).toBe(true);
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_shell_sessions')).toBe(false);
      expect(await knex.schema.hasTable('k2_canaries')).toBe(true);
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_canaries')).toBe(false);
      expect(await knex.schema.hasColumn('k2_releases', 'follow_ups')).toBe(
        true,
      );
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasColumn('k2_releases', 'follow_ups')).toBe(
        false,
      );
      expect(await knex.schema.hasColumn('k2_releases', 'follow_ups_due')).toBe(
        false,
      );
      expect(await knex.schema.hasColumn('k2_releases', 'waiting_target')).toBe(
        true,
      );
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasColumn('k2_releases', 'waiting_target')).toBe(
        false,
      );
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_activity')).toBe(true);
      await knex.migrate.rollback({ directory: MIGRATIONS }, true);
      expect(await knex.schema.hasTable('k2_releases')).toBe(false);
      expect(await knex.schema.hasTable('k2_activity')).toBe(false);
      expect(await knex.schema.hasTable('k2_instance_history')).toBe(false);
    });

    it('accepts exactly one of many parallel releases for a target; the rest learn which one runs', async () => {
      const store = await createStore();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.create(
            release({ spec: spec(`registry.example.com/pay/gw:1.0.${i}`) }),
          ),
        ),
      );
      const created = results.flatMap(r => ('created' in r ? [r.created] : []));
      const refused = results.flatMap(r => ('running' in r ? [r.running] : []));
      expect(created).toHaveLength(1);
      expect(refused).toHaveLength(7);
      for (const running of refused) expect(running.id).toBe(created[0].id);
      expect(created[0].number).toBe(1);

      // Another environment of the same service is another target.
      const prod = await store.create(release({ environment: 'prod' }));
      expect('created' in prod).toBe(true);

      // Once the first finishes, the target is free and numbering continues.
      await store.transition(created[0].id, 'applying', {
        status: 'succeeded',
        finishedAt: new Date(),
      });
      const next = await store.create(release());
      expect('created' in next && next.created.number).toBe(2);
    });

    it('keeps one release waiting and one in flight per target, apart; back down, a waiting release holds its target again', async () => {
      const knex = await databases.init(databaseId);
      const store = await DatabaseReleaseStore.create({
        database: { getClient: async () => knex },
      });
      const prod = { environment: 'prod' };
      const waiting = await store.create(
        release({
          ...prod,
          status: 'pending-approval',
          replicasRequested: false,
        }),
      );
      if (!('created' in waiting)) throw new Error('not created');
      expect(waiting.created.replicasRequested).toBe(false);
      // A second waiting release is refused naming the first; a scale goes through.
      const second = await store.create(
        release({ ...prod, status: 'pending-approval' }),
      );
      expect('running' in second && second.running.id).toBe(waiting.created.id);
      const scale = await store.create(release({ ...prod, kind: 'scale' }));
      if (!('created' in scale)) throw new Error('not created');
      expect(
        (await store.getActive('component:default/payment-gateway', 'prod'))
          ?.id,
      ).toBe(scale.created.id);
      expect((await store.listActive()).map(r => r.id)).toEqual([
        scale.created.id,
      ]);
      expect(
        (await store.listWaiting(new Date(Date.now() + 1000))).map(r => r.id),
      ).toEqual([waiting.created.id]);
      expect(await store.listWaiting(new Date(0))).toEqual([]);

      // Approving needs the target: refused while the scale occupies it.
      expect(
        await store.transition(waiting.created.id, 'pending-approval', {
          status: 'applying',
        }),
      ).toBeUndefined();
      expect((await store.get(waiting.created.id))?.status).toBe(
        'pending-approval',
      );

      // Down to before waiting releases: the older schema holds only one, so the
      // waiting release is withdrawn (as rejected) and the one in flight keeps the target.
      await knex.migrate.down({
        directory: MIGRATIONS,
        name: '20261126_waiting_releases.js',
      });
      const rows = await knex('k2_releases')
        .select('id', 'status', 'active_target')
        .orderBy('number');
      expect(rows).toEqual([
        { id: waiting.created.id, status: 'rejected', active_target: null },
        {
          id: scale.created.id,
          status: 'applying',
          active_target: 'component:default/payment-gateway|prod',
        },
      ]);
      // Back up: a release waiting under the old schema stops holding its target.
      await knex('k2_releases')
        .where({ id: scale.created.id })
        .update({ status: 'succeeded', active_target: null });
      await knex('k2_releases').where({ id: waiting.created.id }).update({
        status: 'pending-approval',
        active_target: 'component:default/payment-gateway|prod',
      });
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(
        await store.getActive('component:default/payment-gateway', 'prod'),
      ).toBeUndefined();
      const approved = await store.transition(
        waiting.created.id,
        'pending-approval',
        { status: 'applying', spec: spec('registry.example.com/pay/gw:2.0.0') },
      );
      expect(approved?.spec.image).toBe('registry.example.com/pay/gw:2.0.0');
      expect(
        (await store.getActive('component:default/payment-gateway', 'prod'))
          ?.id,
      ).toBe(waiting.created.id);
    });

    it('keeps follow-ups with the transition that owes them until they are settled; one claimant at a time', async () => {
      const store = await createStore();
      const r = await store.create(release({ environment: 'prod' }));
      if (!('created' in r)) throw new Error('not created');
      const { id } = r.created;
      expect(r.created.followUps).toBeUndefined();
      const failed = await store.transition(id, 'applying', {
        status: 'failed',
        reason: 'Crash loop',
        finishedAt: new Date(),
        followUps: ['rollback', 'activity'],
      });
      expect(failed?.followUps).toEqual(['rollback', 'activity']);
      expect((await store.listActive()).map(a => a.id)).not.toContain(id);
      const now = new Date(Date.now() + 1000);
      expect((await store.listFollowUpsDue(now)).map(d => d.id)).toEqual([id]);

      // Two drivers claim at once: one gets them, and they are no longer due.
      const lease = new Date(now.getTime() + 60_000);
      const claims = await Promise.all([
        store.claimFollowUps(id, now, lease),
        store.claimFollowUps(id, now, lease),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.listFollowUpsDue(now)).toEqual([]);

      // The rollback went through, the entry did not: it is due again at retryAt.
      const retryAt = new Date(now.getTime() + 5000);
      await store.settleFollowUps(id, ['activity'], retryAt);
      expect(await store.listFollowUpsDue(now)).toEqual([]);
      const due = await store.listFollowUpsDue(retryAt);
      expect(due.map(d => [d.id, d.followUps, d.followUpsDue])).toEqual([
        [id, ['activity'], retryAt.toISOString()],
      ]);
      expect(await store.claimFollowUps(id, retryAt, lease)).toBeDefined();
      await store.settleFollowUps(id, [], retryAt);
      expect((await store.get(id))?.followUps).toBeUndefined();
      expect(await store.listFollowUpsDue(lease)).toEqual([]);
      expect(await store.claimFollowUps(id, lease, lease)).toBeUndefined();
    });

    it('finds the newest release that went in flight, passing over ones that only waited', async () => {
      const store = await createStore();
      const service = 'component:default/payment-gateway';
      expect(await store.getLatestDispatched(service, 'prod')).toBeUndefined();
      const first = await store.create(release({ environment: 'prod' }));
      if (!('created' in first)) throw new Error('not created');
      await store.transition(first.created.id, 'applying', {
        status: 'timed-out',
      });
      const waiting = await store.create(
        release({ environment: 'prod', status: 'pending-approval' }),
      );
      if (!('created' in waiting)) throw new Error('not created');
      expect((await store.getLatestDispatched(service, 'prod'))?.id).toBe(
        first.created.id,
      );
      const second = await store.create(release({ environment: 'prod' }));
      if (!('created' in second)) throw new Error('not created');
      expect((await store.getLatestDispatched(service, 'prod'))?.id).toBe(
        second.created.id,
      );
      expect(await store.getLatestDispatched(service, 'test')).toBeUndefined();
    });

    it('moves a release only from the state the caller saw (compare and set)', async () => {
      const store = await createStore();
      const r = await store.create(release());
      const { id } = 'created' in r ? r.created : r.running;
      const moved = await store.transition(id, 'applying', {
        status: 'rolling-out',
        startedAt: new Date('2026-11-22T10:00:00Z'),
        progress: [
          {
            cluster: 'test',
            replicas: 2,
            updated: 0,
            ready: 0,
            available: 0,
            old: 2,
            done: false,
            generation: 7,
          },
        ],
      });
      expect(moved?.status).toBe('rolling-out');
      expect(moved?.startedAt).toBe('2026-11-22T10:00:00.000Z');
      expect(moved?.progress[0].generation).toBe(7);
      // A second driver that still thinks it is applying changes nothing.
      expect(
        await store.transition(id, 'applying', { status: 'failed' }),
      ).toBeUndefined();
      expect((await store.get(id))?.status).toBe('rolling-out');
      expect((await store.listActive()).map(a => a.id)).toEqual([id]);
    });

    it('keeps the image digest found at creation, replaced or cleared at approval', async () => {
      const store = await createStore();
      const found = `sha256:${'a'.repeat(64)}`;
      const later = `sha256:${'b'.repeat(64)}`;
      const r = await store.create(
        release({ status: 'pending-approval', imageDigest: found }),
      );
      const { id } = 'created' in r ? r.created : r.running;
      expect((await store.get(id))?.imageDigest).toBe(found);
      // A transition that says nothing of the digest keeps it.
      await store.transition(id, 'pending-approval', { reason: 'asked' });
      expect((await store.get(id))?.imageDigest).toBe(found);
      const approved = await store.transition(id, 'pending-approval', {
        status: 'applying',
        imageDigest: later,
      });
      expect(approved?.imageDigest).toBe(later);
      await store.transition(id, 'applying', { imageDigest: null });
      expect((await store.get(id))?.imageDigest).toBeUndefined();
      const unchecked = await store.create(
        release({ environment: 'prod', imageDigest: undefined }),
      );
      expect(
        'created' in unchecked && unchecked.created.imageDigest,
      ).toBeUndefined();
    });

    it('lists the releases whose specs may still be applied: the last N that succeeded per environment, and those waiting or in flight', async () => {
      const store = await createStore();
      const service = 'component:default/payment-gateway';
      async function made(overrides: Partial<NewRelease>, end?: 'succeeded') {
        const r = await store.create(release(overrides));
        if (!('created' in r)) throw new Error('not created');
        if (end)
          await store.transition(r.created.id, 'applying', { status: end });
        return r.created;
      }
      for (let i = 0; i < 4; i++) await made({}, 'succeeded');
      const failed = await made({});
      await store.transition(failed.id, 'applying', { status: 'failed' });
      await made({ status: 'pending-approval' });
      await made({ environment: 'prod' }, 'succeeded');
      await made({ environment: 'prod' });
      await made({ service: 'component:default/other' }, 'succeeded');

      const retained = await store.listRetained(service, 2);
      expect(
        retained.map(r => `${r.environment}#${r.number} ${r.status}`),
      ).toEqual([
        'prod#2 applying',
        'prod#1 succeeded',
        'test#6 pending-approval',
        'test#4 succeeded',
        'test#3 succeeded',
      ]);
      expect(await store.listRetained('component:default/none', 2)).toEqual([]);
    });

    it('pages through history newest first, per environment and across them', async () => {
      const store = await createStore();
      for (let i = 0; i < 5; i++) {
        for (const environment of ['test', 'prod']) {
          const r = await store.create(
            release({ environment, status: 'succeeded' }),
          );
          expect('created' in r).toBe(true);
        }
      }
      const first = await store.history({
        service: 'component:default/payment-gateway',
        environment: 'test',
        limit: 2,
      });
      expect(first.items.map(r => r.number)).toEqual([5, 4]);
      expect(first.total).toBe(5);
      const second = await store.history({
        service: 'component:default/payment-gateway',
        environment: 'test',
        limit: 2,
        before: first.nextCursor,
      });
      expect(second.items.map(r => r.number)).toEqual([3, 2]);

      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await store.history({
          service: 'component:default/payment-gateway',
          limit: 3,
          before,
        });
        expect(page.total).toBe(10);
        seen.push(...page.items.map(r => `${r.environment}${r.number}`));
        before = page.nextCursor;
      } while (before);
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
      expect(
        (await store.getCurrent('component:default/payment-gateway', 'prod'))
          ?.number,
      ).toBe(5);
    });
  },
);
