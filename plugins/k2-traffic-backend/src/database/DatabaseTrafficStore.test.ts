import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { DatabaseTrafficStore } from './DatabaseTrafficStore';
import { MIGRATIONS } from './migrations';
import { NewSiteVersion } from './TrafficStore';

const databases = createK2TestDatabases();

const version = (
  service: string,
  overrides: Partial<NewSiteVersion> = {},
): NewSiteVersion => ({
  service,
  environment: 'test',
  cluster: 'edge-test',
  document: {
    template: 'default',
    upstreams: [{ name: 'app' }],
    locations: [{ path: '/', upstream: 'app' }],
  },
  serverNames: [`${service.split('/')[1]}.test.k2.example.com`],
  upstreams: [],
  files: [{ path: 'k2/sites/x.conf', content: 'server {}\n' }],
  contentHash: 'sha256:00',
  message: 'Publish',
  createdBy: 'user:default/alice',
  ...overrides,
});

const bundle = (v: string) => ({
  cluster: 'edge-test',
  version: v,
  hash: `sha256:${v}`,
  files: [{ path: 'k2/k2.conf', content: `# ${v}\n` }],
});

describe.each(databases.eachSupportedId())(
  'DatabaseTrafficStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      const store = await DatabaseTrafficStore.create({
        database: { getClient: async () => knex },
      });
      return { knex, store };
    }

    it('numbers versions per site and moves the bundle with each, compare-and-set', async () => {
      const { store } = await createStore();
      const first = await store.publish(
        version('component:default/basket'),
        bundle('b1'),
        undefined,
      );
      expect(first).toMatchObject({ number: 1 });
      // A second first bundle, or a publish that read an old bundle, writes nothing.
      expect(
        await store.publish(
          version('component:default/basket'),
          bundle('b2'),
          undefined,
        ),
      ).toBeUndefined();
      expect(
        await store.publish(
          version('component:default/basket'),
          bundle('b2'),
          'b0',
        ),
      ).toBeUndefined();
      const second = await store.publish(
        version('component:default/basket', { rollbackOf: 1 }),
        bundle('b2'),
        'b1',
      );
      expect(second).toMatchObject({ number: 2, rollbackOf: 1 });
      await store.publish(
        version('component:default/ledger'),
        bundle('b3'),
        'b2',
      );
      await store.publish(
        version('component:default/ledger', { environment: 'prod' }),
        bundle('b4'),
        'b3',
      );

      expect((await store.getBundle('edge-test'))?.version).toBe('b4');
      expect(await store.bundleVersions()).toEqual(
        new Map([['edge-test', 'b4']]),
      );
      const current = await store.currentVersions(['test']);
      expect(current.map(v => [v.service, v.number])).toEqual([
        ['component:default/basket', 2],
        ['component:default/ledger', 1],
      ]);
      expect(current[0].serverNames).toEqual(['basket.test.k2.example.com']);
      const page = await store.listVersions({
        service: 'component:default/basket',
        environment: 'test',
        limit: 1,
      });
      expect(page.total).toBe(2);
      expect(page.items.map(v => v.number)).toEqual([2]);
      const older = await store.listVersions({
        service: 'component:default/basket',
        environment: 'test',
        limit: 10,
        before: 2,
      });
      expect(older.items.map(v => v.number)).toEqual([1]);
      expect(
        (await store.getVersion('component:default/basket', 'test', 1))
          ?.document.template,
      ).toBe('default');
    });

    it('keeps each host’s last report and its last applied version', async () => {
      const { store } = await createStore();
      const at = '2026-11-26T10:00:00.000Z';
      await store.recordReport({
        cluster: 'edge-test',
        host: 'nginx-1',
        version: 'v1',
        ok: true,
        reportedAt: at,
      });
      await store.recordReport({
        cluster: 'edge-test',
        host: 'nginx-1',
        version: 'v2',
        ok: false,
        error: 'nginx -t failed',
        reportedAt: at,
      });
      expect(await store.listReports('edge-test')).toEqual([
        {
          cluster: 'edge-test',
          host: 'nginx-1',
          version: 'v2',
          ok: false,
          error: 'nginx -t failed',
          appliedVersion: 'v1',
          reportedAt: at,
        },
      ]);
    });

    it('keeps one waiting change per site, decided once, approved with its version', async () => {
      const { store } = await createStore();
      const basket = 'component:default/basket';
      const change = (requestedBy: string) => ({
        service: basket,
        environment: 'prod',
        cluster: 'edge-prod',
        document: version(basket).document,
        message: 'Wait for it',
        contentHash: 'sha256:01',
        requestedBy,
      });
      const first = await store.requestChange(change('user:default/alice'));
      expect(first).toMatchObject({
        status: 'waiting',
        id: expect.any(Number),
      });
      // The unique key refuses a second waiting change of the site.
      expect(
        await store.requestChange(change('user:default/erin')),
      ).toBeUndefined();
      expect(await store.waitingChange(basket, 'prod')).toEqual(first);
      expect(await store.waitingChange(basket, 'test')).toBeUndefined();

      const published = await store.publish(
        version(basket, {
          environment: 'prod',
          cluster: 'edge-prod',
          approvedBy: 'user:default/carol',
        }),
        { ...bundle('p1'), cluster: 'edge-prod' },
        undefined,
        first!.id,
      );
      expect(published).toMatchObject({
        number: 1,
        approvedBy: 'user:default/carol',
      });
      expect(await store.getChange(first!.id)).toMatchObject({
        status: 'approved',
        decidedBy: 'user:default/carol',
        version: 1,
      });
      expect(await store.waitingChange(basket, 'prod')).toBeUndefined();
      // A change decided already cannot be approved again: nothing is written.
      await expect(
        store.publish(
          version(basket, { environment: 'prod', cluster: 'edge-prod' }),
          { ...bundle('p2'), cluster: 'edge-prod' },
          'p1',
          first!.id,
        ),
      ).rejects.toThrow(`Site change #${first!.id} is no longer waiting`);
      expect((await store.getBundle('edge-prod'))?.version).toBe('p1');
      expect((await store.currentVersion(basket, 'prod'))?.number).toBe(1);

      const second = await store.requestChange(change('user:default/erin'));
      const rejected = await store.closeChange(second!.id, {
        status: 'rejected',
        decidedBy: 'user:default/dave',
        reason: 'Not now',
      });
      expect(rejected).toMatchObject({ status: 'rejected', reason: 'Not now' });
      expect(
        await store.closeChange(second!.id, {
          status: 'rejected',
          decidedBy: 'user:default/dave',
          reason: 'Twice',
        }),
      ).toBeUndefined();
      expect(await store.getChange(second!.id + 1000)).toBeUndefined();
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_traffic_site_changes')).toBe(false);
      expect(
        await knex.schema.hasColumn('k2_traffic_site_versions', 'approved_by'),
      ).toBe(false);
      await knex.migrate.down({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_traffic_site_versions')).toBe(
        false,
      );
      expect(await knex.schema.hasTable('k2_traffic_bundles')).toBe(false);
      expect(await knex.schema.hasTable('k2_traffic_host_reports')).toBe(false);
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_traffic_site_versions')).toBe(true);
      expect(await knex.schema.hasTable('k2_traffic_site_changes')).toBe(true);
    });
  },
);
