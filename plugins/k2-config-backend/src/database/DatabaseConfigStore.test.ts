import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { NewConfigFile, NewConfigVersion } from './ConfigStore';
import { DatabaseConfigStore } from './DatabaseConfigStore';
import { MIGRATIONS } from './migrations';

const databases = createK2TestDatabases();

const SERVICE = 'component:default/basket';

const file = (overrides: Partial<NewConfigFile> = {}): NewConfigFile => ({
  service: SERVICE,
  environment: 'test',
  name: 'application.yaml',
  format: 'yaml',
  sensitive: false,
  mountPath: '/app/config/application.yaml',
  createdBy: 'user:default/alice',
  ...overrides,
});

const version = (
  content: string,
  overrides: Partial<NewConfigVersion> = {},
): Omit<NewConfigVersion, 'number'> & { number: number } => ({
  number: 1,
  hash: `h${content.length}`.padEnd(10, 'x'),
  object: `basket-application-yaml-h${content.length}`,
  sensitive: false,
  size: content.length,
  content,
  author: 'user:default/alice',
  message: 'm',
  ...overrides,
});

describe.each(databases.eachSupportedId())(
  'DatabaseConfigStore on %s',
  databaseId => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      const store = await DatabaseConfigStore.create({
        database: { getClient: async () => knex },
      });
      return { knex, store };
    }

    it('creates a file with version 1 once, and numbers versions so that two saves on one base do not both land', async () => {
      const { store } = await createStore();
      const created = await store.createFile(file(), version('a: 1\n'));
      expect(created).toMatchObject({
        file: { name: 'application.yaml', sensitive: false, format: 'yaml' },
        latest: { number: 1, content: 'a: 1\n', size: 5 },
        versionCount: 1,
      });
      expect(await store.createFile(file(), version('a: 2\n'))).toBeUndefined();

      const id = created!.file.id;
      expect(
        await store.addVersion(id, version('a: 22\n', { number: 2 })),
      ).toMatchObject({ number: 2, content: 'a: 22\n' });
      // A second editor who also started from version 1 loses, and nothing changes.
      expect(
        await store.addVersion(id, version('a: 33\n', { number: 2 })),
      ).toBeUndefined();
      expect((await store.latestVersion(id))?.content).toBe('a: 22\n');

      const [listed] = await store.listFiles(SERVICE, 'test');
      expect(listed).toMatchObject({
        latest: { number: 2 },
        versionCount: 2,
      });
      // Lists carry no content.
      expect(listed.latest.content).toBeUndefined();
      const page = await store.listVersions(id, { limit: 1 });
      expect(page).toMatchObject({ total: 2, items: [{ number: 2 }] });
      expect(
        (await store.listVersions(id, { limit: 5, before: 2 })).items.map(
          v => v.number,
        ),
      ).toEqual([1]);
    });

    it('never writes the content of a sensitive version', async () => {
      const { knex, store } = await createStore();
      const created = await store.createFile(
        file({
          name: 'secrets.properties',
          format: 'properties',
          sensitive: true,
        }),
        version('password=hunter2\n', { sensitive: true }),
      );
      await store.addVersion(
        created!.file.id,
        version('password=hunter3\n', { sensitive: true, number: 2 }),
      );
      const rows = await knex('k2_config_versions').select('*');
      expect(rows).toHaveLength(2);
      expect(rows.every(r => r.content === null)).toBe(true);
      expect(JSON.stringify(rows)).not.toContain('hunter');
      expect(
        (await store.getVersion(created!.file.id, 2))?.content,
      ).toBeUndefined();
    });

    it('keeps a deleted file as history, and brings it back numbering on', async () => {
      const { store } = await createStore();
      const created = await store.createFile(file(), version('a: 1\n'));
      const id = created!.file.id;
      await store.addVersion(id, version('a: 2\n', { number: 2 }));
      await store.markDeleted(id, 'user:default/alice');
      expect(
        await store.getFile(SERVICE, 'test', 'application.yaml'),
      ).toBeUndefined();
      expect(await store.listFiles(SERVICE, 'test')).toEqual([]);
      expect(
        (await store.allVersions(id)).every(v => v.collectedAt !== undefined),
      ).toBe(true);

      const revived = await store.createFile(
        file({ format: 'text' }),
        version('plain'),
      );
      expect(revived).toMatchObject({
        file: { id, format: 'text' },
        latest: { number: 3, content: 'plain' },
        versionCount: 3,
      });
      expect((await store.getVersion(id, 1))?.content).toBe('a: 1\n');
    });

    it('offers retention only versions beyond the newest kept ones, old enough, not collected, of files not deleted', async () => {
      const { knex, store } = await createStore();
      const created = await store.createFile(file(), version('v1'));
      const id = created!.file.id;
      for (let n = 2; n <= 5; n++) {
        await store.addVersion(
          id,
          version(`v${n}`, { number: n, object: `o${n}` }),
        );
      }
      const other = await store.createFile(
        file({ name: 'b.json', format: 'json' }),
        version('{}'),
      );
      await store.markDeleted(other!.file.id, 'user:default/alice');
      // Versions 1 and 2 are a year old; the rest are new.
      const old = new Date(Date.now() - 365 * 86400_000).toISOString();
      await knex('k2_config_versions')
        .where({ file_id: id })
        .whereIn('number', [1, 2])
        .update({ created_at: old });

      const candidates = await store.retentionCandidates({
        keepVersions: 2,
        createdBefore: new Date(Date.now() - 86400_000),
      });
      expect(candidates.map(c => [c.file.name, c.version.number])).toEqual([
        ['application.yaml', 1],
        ['application.yaml', 2],
      ]);
      // Keeping four spares version 2.
      expect(
        (
          await store.retentionCandidates({
            keepVersions: 4,
            createdBefore: new Date(),
          })
        ).map(c => c.version.number),
      ).toEqual([1]);

      await store.markCollected(id, [1]);
      expect(
        (
          await store.retentionCandidates({
            keepVersions: 2,
            createdBefore: new Date(),
          })
        ).map(c => c.version.number),
      ).toEqual([2, 3]);
      const collected = await store.getVersion(id, 1);
      expect(collected?.collectedAt).toBeDefined();
      // The history keeps what it was.
      expect(collected?.content).toBe('v1');
    });

    it('migrates down and up again', async () => {
      const { knex } = await createStore();
      await knex.migrate.rollback({ directory: MIGRATIONS }, true);
      expect(await knex.schema.hasTable('k2_config_files')).toBe(false);
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_config_versions')).toBe(true);
    });
  },
);
