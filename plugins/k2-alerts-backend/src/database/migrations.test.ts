import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from './migrations';

const sqliteFile = (filename: string) =>
  knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
  });

const journalMode = async (knex: Knex) =>
  (await knex.raw('PRAGMA journal_mode'))[0].journal_mode;

describe('the Alerts plugin’s SQLite database', () => {
  let dir: string;
  const clients: Knex[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-alerts-wal-'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(knex => knex.destroy()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a write-ahead log that another connection and the next start keep', async () => {
    const filename = path.join(dir, 'k2-alerts.sqlite');
    const first = sqliteFile(filename);
    clients.push(first);
    await migrate({ database: { getClient: async () => first } });
    expect(await journalMode(first)).toBe('wal');

    // Another client of the same file (as a second process would be), opened without
    // the plugin, is in the same mode and sees what the first committed.
    const second = sqliteFile(filename);
    clients.push(second);
    expect(await journalMode(second)).toBe('wal');
    await first('k2_alert_notify_marks').insert({
      group_key: 'component:default/basket|test|memory',
      sent_at: '2026-11-26T10:00:00.000Z',
    });
    expect(await second('k2_alert_notify_marks').count({ n: '*' })).toEqual([
      { n: 1 },
    ]);

    // A restart: the mode is stored in the file.
    await Promise.all(clients.splice(0).map(knex => knex.destroy()));
    const restarted = sqliteFile(filename);
    clients.push(restarted);
    expect(await journalMode(restarted)).toBe('wal');
    expect(await restarted('k2_alert_notify_marks').count({ n: '*' })).toEqual([
      { n: 1 },
    ]);
  });
});
