import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import {
  DatabaseBuildStore,
  LOG_CHUNK_BYTES,
  LOG_TRUNCATED_LINE,
  MAX_LOG_BYTES,
  MAX_SERVICES_ASKED,
  MIGRATIONS,
  NewBuild,
} from './BuildStore';

const databases = createK2TestDatabases();

const GATEWAY = 'component:default/payment-gateway';
const LEDGER = 'component:default/ledger-service';
const COMMIT = 'a'.repeat(40);

const build = (overrides: Partial<NewBuild> = {}): NewBuild => ({
  service: GATEWAY,
  ref: 'main',
  commit: COMMIT,
  trigger: 'ui',
  triggeredBy: 'user:default/alice',
  runner: 'local',
  image: 'registry.northwind.example/payments/payment-gateway:aaaaaaaaaaaa',
  sourceKey: 'https://git.northwind.example/payments/payment-gateway',
  dockerfileSource: 'generated',
  dockerfileTemplate: 'node',
  ...overrides,
});

describe.each(databases.eachSupportedId())(
  'DatabaseBuildStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      const store = await DatabaseBuildStore.create({
        database: { getClient: async () => knex },
      });
      return { knex, store };
    }

    it('numbers builds per service from 1, and lists them newest first by pages', async () => {
      const { store } = await createStore();
      const first = await store.createBuild(build({ releaseTo: 'test' }));
      const second = await store.createBuild(build({ ref: 'feature/x' }));
      const other = await store.createBuild(build({ service: LEDGER }));
      expect([first.number, second.number, other.number]).toEqual([1, 2, 1]);
      expect(first).toMatchObject({
        status: 'queued',
        commit: COMMIT,
        releaseTo: 'test',
        logBytes: 0,
        logTruncated: false,
      });
      expect(first.release).toBeUndefined();
      const page = await store.listBuilds(GATEWAY, { limit: 1 });
      expect(page.total).toBe(2);
      expect(page.items.map(b => b.number)).toEqual([2]);
      const older = await store.listBuilds(GATEWAY, { limit: 10, before: 2 });
      expect(older.items.map(b => b.number)).toEqual([1]);
      expect(await store.getBuildByNumber(GATEWAY, 2)).toMatchObject({
        id: second.id,
        ref: 'feature/x',
      });
      expect(await store.getBuildByNumber(GATEWAY, 3)).toBeUndefined();
    });

    it('gives numbers to concurrent builds of one service without a gap or a twin', async () => {
      const { store } = await createStore();
      const builds = await Promise.all(
        Array.from({ length: 5 }, () => store.createBuild(build())),
      );
      expect(builds.map(b => b.number).sort()).toEqual([1, 2, 3, 4, 5]);
    });

    it('claims queued builds up to the concurrency, one per service, oldest first, and once', async () => {
      const { store } = await createStore();
      const a1 = await store.createBuild(build());
      const a2 = await store.createBuild(build());
      const b1 = await store.createBuild(build({ service: LEDGER }));
      const claimed = await store.claimQueued('local', 5);
      expect(claimed.map(b => b.id).sort()).toEqual([a1.id, b1.id].sort());
      expect(claimed.every(b => b.status === 'running' && b.startedAt)).toBe(
        true,
      );
      // a2 waits for a1 of its service; nothing else is queued.
      expect(await store.claimQueued('local', 5)).toEqual([]);
      expect(
        await store.transition(a1.id, ['running'], {
          status: 'succeeded',
          finishedAt: new Date().toISOString(),
        }),
      ).toBe(true);
      // A transition from a status the build left does nothing.
      expect(
        await store.transition(a1.id, ['running'], { status: 'failed' }),
      ).toBe(false);
      expect((await store.getBuild(a1.id))!.status).toBe('succeeded');
      const next = await store.claimQueued('local', 2);
      expect(next.map(b => b.id)).toEqual([a2.id]);
      // Only kubernetes builds count against the kubernetes runner's concurrency.
      const k = await store.createBuild(
        build({ service: 'component:default/x', runner: 'kubernetes' }),
      );
      expect((await store.claimQueued('local', 5)).length).toBe(0);
      expect((await store.claimQueued('kubernetes', 1)).map(b => b.id)).toEqual(
        [k.id],
      );
    });

    it('never claims more than the concurrency', async () => {
      const { store } = await createStore();
      await store.createBuild(build());
      await store.createBuild(build({ service: LEDGER }));
      expect((await store.claimQueued('local', 1)).length).toBe(1);
      expect((await store.claimQueued('local', 1)).length).toBe(0);
    });

    it('takes over a running build only when its heartbeat is old, of its runner, and once', async () => {
      const { knex, store } = await createStore();
      const live = await store.createBuild(build());
      const left = await store.createBuild(build({ service: LEDGER }));
      const job = await store.createBuild(
        build({ service: 'component:default/shop', runner: 'kubernetes' }),
      );
      expect(await store.claimQueued('local', 5)).toHaveLength(2);
      expect(await store.claimQueued('kubernetes', 5)).toHaveLength(1);
      const minuteAgo = () => new Date(Date.now() - 60_000);
      // Claimed builds beat from the start.
      expect(await store.claimAbandoned('local', minuteAgo())).toEqual([]);

      const old = new Date(Date.now() - 5 * 60_000).toISOString();
      await knex('k2_builds')
        .whereIn('id', [left.id, job.id])
        .update({ heartbeat_at: old });
      // Two replicas at once: one gets it.
      const [first, second] = await Promise.all([
        store.claimAbandoned('local', minuteAgo()),
        store.claimAbandoned('local', minuteAgo()),
      ]);
      expect([...first, ...second].map(b => b.id)).toEqual([left.id]);
      // Renewed by the take-over: not again.
      expect(await store.claimAbandoned('local', minuteAgo())).toEqual([]);
      // A build without any heartbeat (from before heartbeats) is abandoned.
      await knex('k2_builds')
        .where({ id: job.id })
        .update({ heartbeat_at: null });
      expect(
        (await store.claimAbandoned('kubernetes', minuteAgo())).map(b => b.id),
      ).toEqual([job.id]);

      // A heartbeat keeps a running build only.
      await knex('k2_builds')
        .where({ id: live.id })
        .update({ heartbeat_at: old });
      expect(await store.heartbeat(live.id)).toBe(true);
      expect(await store.claimAbandoned('local', minuteAgo())).toEqual([]);
      await store.transition(live.id, ['running'], { status: 'succeeded' });
      expect(await store.heartbeat(live.id)).toBe(false);
    });

    it('answers which services have a succeeded build in an image repository, in any host letter case, whatever the tag', async () => {
      const { store } = await createStore();
      const REPOSITORY = 'registry.northwind.example/payments/pay_gateway';
      const built = async (
        service: string,
        image: string,
        status: 'succeeded' | 'failed' | 'queued' = 'succeeded',
      ) => {
        const created = await store.createBuild(build({ service, image }));
        if (status !== 'queued') {
          await store.transition(created.id, ['queued'], { status });
        }
      };
      const FRAUD = 'component:default/fraud-check';
      const SEARCH = 'component:default/search';
      const AUDIT = 'component:default/audit';
      const OUTSIDE = 'component:default/outside';
      // The host as an annotation wrote it, in other letter case.
      await built(
        GATEWAY,
        'Registry.Northwind.Example/payments/pay_gateway:1.0',
      );
      // Failed and queued builds have pushed nothing.
      await built(LEDGER, `${REPOSITORY}:aaaaaaaaaaaa`, 'failed');
      await built(LEDGER, `${REPOSITORY}:bbbbbbbbbbbb`, 'queued');
      // Another repository whose name starts the same, or matches it only with `_` as a wildcard.
      await built(FRAUD, `${REPOSITORY}-copy:aaaaaaaaaaaa`);
      await built(SEARCH, `${REPOSITORY}/sub:aaaaaaaaaaaa`);
      await built(
        AUDIT,
        'registry.northwind.example/payments/payXgateway:aaaaaaaaaaaa',
      );
      // A service not asked about.
      await built(OUTSIDE, `${REPOSITORY}:cccccccccccc`);
      const asked = [GATEWAY, LEDGER, FRAUD, SEARCH, AUDIT];
      expect(
        [...(await store.servicesWithImagesIn(REPOSITORY, asked))].sort(),
      ).toEqual([GATEWAY]);
      expect(
        await store.servicesWithImagesIn(
          'REGISTRY.northwind.example/payments/pay_gateway',
          [LEDGER, OUTSIDE],
        ),
      ).toEqual(new Set([OUTSIDE]));
      // A digest after the repository counts as well as a tag.
      await built(LEDGER, `${REPOSITORY}@sha256:${'d'.repeat(64)}`);
      expect(
        [...(await store.servicesWithImagesIn(REPOSITORY, asked))].sort(),
      ).toEqual([GATEWAY, LEDGER].sort());
      expect(await store.servicesWithImagesIn(REPOSITORY, [])).toEqual(
        new Set(),
      );
      // More services than one query asks about: the later ones are asked too.
      const many = Array.from(
        { length: MAX_SERVICES_ASKED + 100 },
        (_, i) => `component:default/service-${i}`,
      );
      many[MAX_SERVICES_ASKED + 50] = LEDGER;
      expect(await store.servicesWithImagesIn(REPOSITORY, many)).toEqual(
        new Set([LEDGER]),
      );
    });

    it('answers which services have a succeeded build of a repository, by its normalised key exactly', async () => {
      const { knex, store } = await createStore();
      const KEY = 'https://git.northwind.example/payments/ledger';
      const built = async (
        service: string,
        sourceKey: string,
        status: 'succeeded' | 'failed' | 'queued' = 'succeeded',
      ) => {
        const created = await store.createBuild(build({ service, sourceKey }));
        if (status !== 'queued') {
          await store.transition(created.id, ['queued'], { status });
        }
        return created;
      };
      const FRAUD = 'component:default/fraud-check';
      const SEARCH = 'component:default/search';
      const OUTSIDE = 'component:default/outside';
      const first = await built(GATEWAY, KEY);
      expect(first.sourceKey).toBe(KEY);
      // Failed and queued builds are no history.
      await built(LEDGER, KEY, 'failed');
      await built(LEDGER, KEY, 'queued');
      // Another repository whose key starts the same, or differs in letter case.
      await built(FRAUD, `${KEY}-copy`);
      await built(SEARCH, 'https://git.northwind.example/Payments/Ledger');
      // A service not asked about.
      await built(OUTSIDE, KEY);
      const asked = [GATEWAY, LEDGER, FRAUD, SEARCH];
      expect(await store.servicesWithBuildsFrom(KEY, asked)).toEqual(
        new Set([GATEWAY]),
      );
      expect(
        await store.servicesWithBuildsFrom(KEY, [LEDGER, OUTSIDE, OUTSIDE]),
      ).toEqual(new Set([OUTSIDE]));
      expect(await store.servicesWithBuildsFrom(KEY, [])).toEqual(new Set());
      // Builds from before the repository was recorded count for none.
      const old = await built(LEDGER, KEY);
      await knex('k2_builds')
        .where({ id: old.id })
        .update({ source_key: null });
      expect((await store.getBuild(old.id))!.sourceKey).toBeUndefined();
      expect(await store.servicesWithBuildsFrom(KEY, [LEDGER])).toEqual(
        new Set(),
      );
      // More services than one query asks about: the later ones are asked too.
      const many = Array.from(
        { length: MAX_SERVICES_ASKED + 100 },
        (_, i) => `component:default/service-${i}`,
      );
      many[MAX_SERVICES_ASKED + 50] = OUTSIDE;
      expect(await store.servicesWithBuildsFrom(KEY, many)).toEqual(
        new Set([OUTSIDE]),
      );
    });

    it('migrates the recorded repository of builds down and up by name', async () => {
      const { knex, store } = await createStore();
      const SOURCE_KEY = '20261129_build_source_key.js';
      const kept = await store.createBuild(build());
      await knex.migrate.down({ directory: MIGRATIONS, name: SOURCE_KEY });
      expect(await knex.schema.hasColumn('k2_builds', 'source_key')).toBe(
        false,
      );
      // The builds stay; the heartbeats' column too.
      expect(await knex.schema.hasColumn('k2_builds', 'heartbeat_at')).toBe(
        true,
      );
      expect(
        (await knex('k2_builds').where({ id: kept.id }).first()).number,
      ).toBe(1);
      await knex.migrate.up({ directory: MIGRATIONS, name: SOURCE_KEY });
      expect(await knex.schema.hasColumn('k2_builds', 'source_key')).toBe(true);
      // Rows from before it have no repository; new ones record theirs.
      expect((await store.getBuild(kept.id))!.sourceKey).toBeUndefined();
      const next = await store.createBuild(build());
      expect(next.sourceKey).toBe(
        'https://git.northwind.example/payments/payment-gateway',
      );
      expect(
        await store.servicesWithBuildsFrom(next.sourceKey!, [GATEWAY]),
      ).toEqual(new Set());
      await store.transition(next.id, ['queued'], { status: 'succeeded' });
      expect(
        await store.servicesWithBuildsFrom(next.sourceKey!, [GATEWAY]),
      ).toEqual(new Set([GATEWAY]));
    });

    it('queues a build of a service and ref once, also when two requests race for it', async () => {
      const { store } = await createStore();
      const racing = await Promise.all(
        Array.from({ length: 4 }, () => store.queueUnlessQueued(build())),
      );
      expect(racing.filter(r => r.created)).toHaveLength(1);
      expect(new Set(racing.map(r => r.build.id)).size).toBe(1);
      expect((await store.listBuilds(GATEWAY, { limit: 10 })).total).toBe(1);

      // Another ref, or the same one once its build has left the queue, queues anew.
      const dev = await store.queueUnlessQueued(build({ ref: 'dev' }));
      expect(dev).toMatchObject({ created: true, build: { number: 2 } });
      await store.transition(racing[0].build.id, ['queued'], {
        status: 'running',
      });
      const next = await store.queueUnlessQueued(build());
      expect(next).toMatchObject({ created: true, build: { number: 3 } });
    });

    it('supersedes older queued builds of the same ref only', async () => {
      const { store } = await createStore();
      const old = await store.createBuild(build());
      const otherRef = await store.createBuild(build({ ref: 'dev' }));
      const newer = await store.createBuild(build());
      expect(await store.queueUnlessQueued(build())).toEqual({
        build: expect.objectContaining({ id: old.id }),
        created: false,
      });
      expect(await store.supersede(GATEWAY, 'main', newer)).toBe(1);
      expect(await store.getBuild(old.id)).toMatchObject({
        status: 'superseded',
        reason: 'Superseded by build 3 of a newer push',
      });
      expect((await store.getBuild(otherRef.id))!.status).toBe('queued');
      expect((await store.getBuild(newer.id))!.status).toBe('queued');
    });

    it('stores the Dockerfile, its problems, the digest and the release', async () => {
      const { store } = await createStore();
      const b = await store.createBuild(build({ releaseTo: 'test' }));
      await store.transition(b.id, ['queued'], {
        status: 'running',
        dockerfile: 'FROM scratch\n',
        dockerfileProblems: [
          {
            rule: 'no-user',
            severity: 'warning',
            message: 'runs as root',
            line: 1,
            column: 1,
            endLine: 1,
            endColumn: 13,
          } as any,
        ],
        imageDigest: `sha256:${'b'.repeat(64)}`,
        release: { id: 'r-1', number: 7 },
      });
      await store.requestCancel(b.id, 'Cancelled by user:default/alice');
      await store.requestCancel(b.id, 'Cancelled by user:default/dave');
      expect(await store.getBuild(b.id)).toMatchObject({
        dockerfile: 'FROM scratch\n',
        dockerfileProblems: [
          expect.objectContaining({ message: 'runs as root', line: 1 }),
        ],
        imageDigest: `sha256:${'b'.repeat(64)}`,
        release: { id: 'r-1', number: 7, environment: 'test' },
        cancelRequestedAt: expect.any(String),
        reason: 'Cancelled by user:default/alice',
      });
      // A cancel that comes after the build ended changes nothing.
      const ended = await store.createBuild(build({ ref: 'feature/y' }));
      await store.transition(ended.id, ['queued'], { status: 'running' });
      await store.transition(ended.id, ['running'], {
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
      });
      await store.requestCancel(ended.id, 'Cancelled by user:default/alice');
      expect(await store.getBuild(ended.id)).toMatchObject({
        status: 'succeeded',
        cancelRequestedAt: undefined,
      });
      expect((await store.getBuild(ended.id))!.reason).toBeUndefined();
    });

    it('keeps the log in chunks and reads it from any byte offset', async () => {
      const { knex, store } = await createStore();
      const b = await store.createBuild(build());
      await store.appendLog(b.id, 'STEP 1/3: FROM base\n');
      await store.appendLog(b.id, 'héllo wörld\n');
      const big = 'x'.repeat(LOG_CHUNK_BYTES + 10);
      const after = await store.appendLog(b.id, big);
      const all = `STEP 1/3: FROM base\nhéllo wörld\n${big}`;
      expect(after).toEqual({
        logBytes: Buffer.byteLength(all),
        logTruncated: false,
      });
      const chunks = await knex('k2_build_log_chunks').where({
        build_id: b.id,
      });
      expect(chunks.length).toBe(4);
      expect(chunks.every(c => Number(c.bytes) <= LOG_CHUNK_BYTES)).toBe(true);
      expect((await store.readLog(b.id, 0)).text).toBe(all);
      // From inside the second write: bytes, not characters.
      const offset = Buffer.byteLength('STEP 1/3: FROM base\nhéllo ');
      const slice = await store.readLog(b.id, offset);
      expect(slice.text).toBe(`wörld\n${big}`);
      expect(slice.nextOffset).toBe(after.logBytes);
      expect(await store.readLog(b.id, after.logBytes)).toEqual({
        text: '',
        nextOffset: after.logBytes,
      });
      expect((await store.getBuild(b.id))!.logBytes).toBe(after.logBytes);
    });

    it('cuts the log at 10 MiB with one line saying so, and keeps nothing after', async () => {
      const { store } = await createStore();
      const b = await store.createBuild(build());
      const line = `${'y'.repeat(1023)}\n`;
      const mib = line.repeat(1024);
      for (let i = 0; i < 9; i++) await store.appendLog(b.id, mib);
      const last = await store.appendLog(b.id, `${mib}${mib}`);
      expect(last.logTruncated).toBe(true);
      expect(last.logBytes).toBe(
        MAX_LOG_BYTES + Buffer.byteLength(LOG_TRUNCATED_LINE),
      );
      expect(await store.appendLog(b.id, 'more\n')).toEqual(last);
      const tail = await store.readLog(b.id, MAX_LOG_BYTES - 5);
      expect(tail.text).toBe(`yyyy\n${LOG_TRUNCATED_LINE}`);
      expect(await store.getBuild(b.id)).toMatchObject({
        logTruncated: true,
        logBytes: last.logBytes,
      });
    });

    it('deletes the logs of builds finished before the retention, keeping the builds', async () => {
      const { store } = await createStore();
      const old = await store.createBuild(build());
      const recent = await store.createBuild(build({ service: LEDGER }));
      const running = await store.createBuild(
        build({ service: 'component:default/z' }),
      );
      for (const b of [old, recent, running])
        await store.appendLog(b.id, 'line\n');
      await store.transition(old.id, ['queued'], {
        status: 'failed',
        finishedAt: '2026-01-01T00:00:00.000Z',
      });
      await store.transition(recent.id, ['queued'], {
        status: 'failed',
        finishedAt: '2026-11-20T00:00:00.000Z',
      });
      expect(
        await store.deleteLogsFinishedBefore(
          new Date('2026-10-28T00:00:00.000Z'),
        ),
      ).toBe(1);
      expect((await store.readLog(old.id, 0)).text).toBe('');
      expect((await store.readLog(recent.id, 0)).text).toBe('line\n');
      expect((await store.readLog(running.id, 0)).text).toBe('line\n');
      expect(await store.getBuild(old.id)).toMatchObject({ status: 'failed' });
    });

    it('records a webhook delivery once, and prunes old ones', async () => {
      const { store } = await createStore();
      expect(
        await store.recordDelivery('d-1', new Date('2026-11-01T00:00:00Z')),
      ).toBe(true);
      expect(await store.recordDelivery('d-1')).toBe(false);
      expect(await store.recordDelivery('d-2')).toBe(true);
      expect(
        await store.pruneDeliveries(new Date('2026-11-10T00:00:00Z')),
      ).toBe(1);
      expect(await store.recordDelivery('d-1')).toBe(true);
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await knex.migrate.rollback({ directory: MIGRATIONS }, true);
      expect(await knex.schema.hasTable('k2_builds')).toBe(false);
      expect(await knex.schema.hasTable('k2_build_log_chunks')).toBe(false);
      expect(await knex.schema.hasTable('k2_build_webhook_deliveries')).toBe(
        false,
      );
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_build_log_chunks')).toBe(true);
      expect(await knex.schema.hasColumn('k2_builds', 'heartbeat_at')).toBe(
        true,
      );
      // The heartbeats' migration alone, down and up.
      const HEARTBEATS = '20261128_build_heartbeats.js';
      await knex.migrate.down({ directory: MIGRATIONS, name: HEARTBEATS });
      expect(await knex.schema.hasColumn('k2_builds', 'heartbeat_at')).toBe(
        false,
      );
      expect(await knex.schema.hasTable('k2_builds')).toBe(true);
      await knex.migrate.up({ directory: MIGRATIONS, name: HEARTBEATS });
      expect(await knex.schema.hasColumn('k2_builds', 'heartbeat_at')).toBe(
        true,
      );
      const store = await DatabaseBuildStore.create({
        database: { getClient: async () => knex },
      });
      expect((await store.createBuild(build())).number).toBe(1);
    });
  },
);
