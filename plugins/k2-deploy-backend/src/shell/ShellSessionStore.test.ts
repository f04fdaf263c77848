import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';
import {
  DatabaseShellSessionStore,
  NewShellSession,
  SEEN_WINDOW_MS,
} from './ShellSessionStore';

const databases = createK2TestDatabases();

const MIGRATIONS = resolvePackagePath(
  '@internal/plugin-k2-deploy-backend',
  'migrations',
);

const T0 = new Date('2026-11-27T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const session = (
  overrides: Partial<NewShellSession> = {},
): NewShellSession => ({
  id: randomUUID(),
  service: 'component:default/payment-gateway',
  environment: 'test',
  cluster: 'test',
  namespace: 'payments-core',
  pod: 'payment-gateway-7d9f-abcde',
  container: 'payment-gateway',
  kind: 'shell',
  user: 'user:default/alice',
  ticketHash: 'a'.repeat(64),
  ticketExpiresAt: at(30_000),
  createdAt: T0,
  ...overrides,
});

describe.each(databases.eachSupportedId())(
  'DatabaseShellSessionStore on %s',
  databaseId => {
    let knex: Knex;
    async function createStore() {
      knex = await databases.init(databaseId);
      return DatabaseShellSessionStore.create({
        database: { getClient: async () => knex },
      });
    }

    it('migrates down and up again', async () => {
      await createStore();
      expect(await knex.schema.hasTable('k2_shell_sessions')).toBe(true);
      await knex.migrate.down({
        directory: MIGRATIONS,
        name: '20261129_shell_sessions.js',
      });
      expect(await knex.schema.hasTable('k2_shell_sessions')).toBe(false);
      expect(await knex.schema.hasTable('k2_canaries')).toBe(true);
      await knex.migrate.latest({ directory: MIGRATIONS });
      expect(await knex.schema.hasTable('k2_shell_sessions')).toBe(true);
    });

    it('redeems a ticket once, only before it expires and only for its own session', async () => {
      const store = await createStore();
      const first = session({ size: { cols: 120, rows: 30 } });
      const second = session({ ticketHash: 'b'.repeat(64) });
      await store.create(first);
      await store.create(second);
      // Another session's ticket opens nothing, and does not use it up.
      expect(await store.redeem(first.id, 'b'.repeat(64), at(1000))).toBe(
        undefined,
      );
      const started = await store.redeem(first.id, 'a'.repeat(64), at(1000));
      expect(started).toEqual({
        session: expect.objectContaining({
          id: first.id,
          startedAt: at(1000).toISOString(),
          user: 'user:default/alice',
          commands: [],
        }),
        size: { cols: 120, rows: 30 },
      });
      // Used.
      expect(await store.redeem(first.id, 'a'.repeat(64), at(2000))).toBe(
        undefined,
      );
      // Expired.
      expect(await store.redeem(second.id, 'b'.repeat(64), at(30_000))).toBe(
        undefined,
      );
      // Parallel redemptions of one ticket: exactly one starts the session.
      const third = session({ ticketHash: 'c'.repeat(64) });
      await store.create(third);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.redeem(third.id, 'c'.repeat(64), at(1000)),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      // The hash is gone once redeemed: nothing of the ticket stays.
      const row = await knex('k2_shell_sessions')
        .where({ id: third.id })
        .first();
      expect(row.ticket_hash).toBeNull();
    });

    it('counts open sessions per user and in all, ending the ones no replica keeps alive as lost', async () => {
      const store = await createStore();
      const waiting = session();
      const alive = session({ ticketHash: 'b'.repeat(64) });
      const stale = session({ ticketHash: 'c'.repeat(64) });
      const bobs = session({
        user: 'user:default/bob',
        ticketHash: 'd'.repeat(64),
      });
      for (const s of [waiting, alive, stale, bobs]) await store.create(s);
      await store.redeem(alive.id, 'b'.repeat(64), at(1000));
      await store.redeem(stale.id, 'c'.repeat(64), at(1000));
      expect(await store.countOpen('user:default/alice', at(2000))).toEqual({
        total: 4,
        user: 3,
      });
      // Later: `alive` was seen recently, `stale` was not, `waiting`'s ticket expired,
      // Bob's too.
      const later = at(1000 + SEEN_WINDOW_MS + 1);
      await store.touch(alive.id, at(SEEN_WINDOW_MS), [
        { at: T0.toISOString(), line: 'ls' },
      ]);
      expect(await store.countOpen('user:default/alice', later)).toEqual({
        total: 1,
        user: 1,
      });
      expect(await store.get(stale.id)).toMatchObject({ endReason: 'lost' });
      expect(await store.get(waiting.id)).toMatchObject({ endReason: 'lost' });
      expect(await store.get(alive.id)).toMatchObject({
        commands: [{ at: T0.toISOString(), line: 'ls' }],
      });
      expect((await store.get(alive.id))?.endReason).toBeUndefined();
    });

    it('ends a session once, with its reason and commands', async () => {
      const store = await createStore();
      const s = session();
      await store.create(s);
      await store.redeem(s.id, 'a'.repeat(64), at(1000));
      const commands = [
        { at: at(2000).toISOString(), line: 'ls' },
        { at: at(3000).toISOString(), line: 'env' },
      ];
      expect(
        await store.end(s.id, { reason: 'exit', commands, now: at(4000) }),
      ).toBe(true);
      expect(
        await store.end(s.id, { reason: 'idle', commands: [], now: at(5000) }),
      ).toBe(false);
      expect(await store.get(s.id)).toEqual({
        id: s.id,
        service: s.service,
        environment: 'test',
        cluster: 'test',
        namespace: 'payments-core',
        pod: s.pod,
        container: s.container,
        kind: 'shell',
        user: 'user:default/alice',
        createdAt: T0.toISOString(),
        startedAt: at(1000).toISOString(),
        endedAt: at(4000).toISOString(),
        endReason: 'exit',
        commands,
      });
    });

    it('lists newest first in pages, by service and by user', async () => {
      const store = await createStore();
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        const s = session({
          createdAt: at(i * 1000),
          ticketHash: String(i).repeat(64),
          user: i % 2 ? 'user:default/bob' : 'user:default/alice',
          service:
            i === 4
              ? 'component:default/ledger-service'
              : 'component:default/payment-gateway',
        });
        await store.create(s);
        created.push(s.id);
      }
      const first = await store.list({ limit: 2 });
      expect(first.items.map(s => s.id)).toEqual([created[4], created[3]]);
      expect(first.next).toBe(`${at(3000).toISOString()}|${created[3]}`);
      const second = await store.list({ limit: 2, before: first.next });
      expect(second.items.map(s => s.id)).toEqual([created[2], created[1]]);
      const last = await store.list({ limit: 2, before: second.next });
      expect(last.items.map(s => s.id)).toEqual([created[0]]);
      expect(last.next).toBeUndefined();
      expect(
        (
          await store.list({
            limit: 10,
            service: 'component:default/payment-gateway',
            user: 'user:default/alice',
          })
        ).items.map(s => s.id),
      ).toEqual([created[2], created[0]]);
      await expect(
        store.list({ limit: 2, before: 'nonsense' }),
      ).rejects.toThrow("'before' is not a cursor from a previous page");
    });
  },
);
