import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { Knex } from 'knex';
import { MIGRATIONS } from '../database/migrations';
import { DatabaseIncidentStore } from './DatabaseIncidentStore';
import { IncomingAlert } from './IncidentStore';

jest.setTimeout(120_000);

const databases = createK2TestDatabases();

const SERVICE = 'component:default/basket';
const MIGRATION = '20261202_alert_incidents.js';

function alert(
  fingerprint: string,
  overrides: Partial<IncomingAlert> = {},
): IncomingAlert {
  return {
    fingerprint,
    startsAt: '2026-11-26T10:00:00.123456789Z',
    status: 'firing',
    labels: {
      alertname: 'BasketMemoryHigh',
      k2_entity: SERVICE,
      k2_rule: 'r1',
      pod: fingerprint,
    },
    annotations: { summary: 'Memory of basket over 80%' },
    entityRef: SERVICE,
    environment: 'test',
    ruleKey: 'r1',
    cluster: 'test-a',
    severity: 'warning',
    source: 'prometheus',
    ...overrides,
  };
}

const resolved = (fingerprint: string, endsAt = '2026-11-26T10:05:00Z') =>
  alert(fingerprint, { status: 'resolved', endsAt });

describe.each(databases.eachSupportedId())(
  'DatabaseIncidentStore on %s',
  databaseId => {
    let knex: Knex;
    async function createStore() {
      knex = await databases.init(databaseId);
      return DatabaseIncidentStore.create({
        database: { getClient: async () => knex },
      });
    }
    const counts = async () => ({
      incidents: Number(
        (await knex('k2_alert_incidents').count({ n: '*' }))[0].n,
      ),
      alerts: Number((await knex('k2_alerts').count({ n: '*' }))[0].n),
      events: Number((await knex('k2_alert_events').count({ n: '*' }))[0].n),
    });

    it('migrates down and up again', async () => {
      await createStore();
      const tables = async () =>
        Promise.all(
          ['k2_alert_incidents', 'k2_alerts', 'k2_alert_events'].map(t =>
            knex.schema.hasTable(t),
          ),
        );
      expect(await tables()).toEqual([true, true, true]);
      await knex.migrate.down({ directory: MIGRATIONS, name: MIGRATION });
      expect(await tables()).toEqual([false, false, false]);
      await knex.migrate.up({ directory: MIGRATIONS, name: MIGRATION });
      expect(await tables()).toEqual([true, true, true]);
    });

    it('groups alerts into one incident that resolves when the last one does, and opens a new one after', async () => {
      const store = await createStore();
      const first = await store.record(
        [alert('a'), alert('b')],
        'alertmanager',
      );
      expect(first).toMatchObject({ recorded: 2, duplicates: 0, resolved: [] });
      expect(first.opened).toHaveLength(1);
      const incident = first.opened[0];
      expect(incident).toMatchObject({
        entityRef: SERVICE,
        environment: 'test',
        ruleKey: 'r1',
        // The rule's name, not the first alert's summary.
        title: 'BasketMemoryHigh',
        status: 'open',
        source: 'prometheus',
        firingCount: 2,
        alertCount: 2,
        openedAt: '2026-11-26T10:00:00.123Z',
      });

      const half = await store.record([resolved('a')], 'alertmanager');
      expect(half).toMatchObject({ recorded: 1, opened: [], resolved: [] });
      const whole = await store.record([resolved('b')], 'alertmanager');
      expect(whole.resolved).toEqual([
        expect.objectContaining({
          id: incident.id,
          status: 'resolved',
          firingCount: 0,
          resolvedAt: '2026-11-26T10:05:00.000Z',
        }),
      ]);

      const detail = await store.getIncident(incident.id);
      expect(detail?.alerts.map(a => [a.fingerprint, a.status])).toEqual([
        ['b', 'resolved'],
        ['a', 'resolved'],
      ]);
      expect(detail?.alerts[0].events).toEqual([
        {
          status: 'firing',
          at: '2026-11-26T10:00:00.123Z',
          source: 'alertmanager',
        },
        {
          status: 'resolved',
          at: '2026-11-26T10:05:00.000Z',
          source: 'alertmanager',
        },
      ]);

      // The same rule fires again: a new incident, not the resolved one reopened.
      const again = await store.record(
        [alert('a', { startsAt: '2026-11-26T11:00:00Z' })],
        'alertmanager',
      );
      expect(again.opened).toHaveLength(1);
      expect(again.opened[0].id).not.toBe(incident.id);
      const open = await store.listIncidents({
        entityRefs: [SERVICE],
        status: 'open',
        limit: 10,
      });
      expect(open.items.map(i => i.id)).toEqual([again.opened[0].id]);
    });

    it('changes nothing on a redelivery, and records once when two deliveries of one payload run at once', async () => {
      const store = await createStore();
      const payload = [alert('a'), alert('b'), alert('c')];
      const [one, two] = await Promise.all([
        store.record(payload, 'alertmanager'),
        store.record(payload, 'alertmanager'),
      ]);
      expect(one.recorded + two.recorded).toBe(3);
      expect(one.duplicates + two.duplicates).toBe(3);
      expect(one.opened.length + two.opened.length).toBe(1);
      const before = await counts();
      expect(before).toEqual({ incidents: 1, alerts: 3, events: 3 });

      const rows = JSON.stringify(await knex('k2_alerts').orderBy('id'));
      expect(await store.record(payload, 'alertmanager')).toMatchObject({
        recorded: 0,
        duplicates: 3,
      });
      expect(JSON.stringify(await knex('k2_alerts').orderBy('id'))).toBe(rows);

      const resolving = payload.map(a => resolved(a.fingerprint));
      const [r1, r2] = await Promise.all([
        store.record(resolving, 'alertmanager'),
        store.record(resolving, 'alertmanager'),
      ]);
      expect(r1.recorded + r2.recorded).toBe(3);
      expect(r1.resolved.length + r2.resolved.length).toBe(1);
      expect(await counts()).toEqual({ incidents: 1, alerts: 3, events: 6 });
      // A late firing copy of a resolved alert changes nothing either.
      expect(await store.record(payload, 'alertmanager')).toMatchObject({
        recorded: 0,
        duplicates: 3,
      });
      expect(await counts()).toEqual({ incidents: 1, alerts: 3, events: 6 });
    });

    it('opens one incident per group when deliveries sharing some groups run at once', async () => {
      const store = await createStore();
      // Four deliveries over six rules, each sharing its groups with two others, in
      // different orders: every group ends with one open incident holding its alerts.
      const rule = (fingerprint: string, r: number) =>
        alert(fingerprint, {
          ruleKey: `r${r}`,
          labels: { alertname: `Rule${r}`, k2_rule: `r${r}` },
        });
      const deliveries = [
        [0, 1, 2],
        [2, 3, 0],
        [4, 5, 1],
        [3, 5, 4],
      ].map((rules, d) => rules.map(r => rule(`d${d}-r${r}`, r)));
      const results = await Promise.all(
        deliveries.map(payload => store.record(payload, 'alertmanager')),
      );
      expect(results.reduce((n, r) => n + r.recorded, 0)).toBe(12);
      expect(results.flatMap(r => r.opened.map(i => i.ruleKey)).sort()).toEqual(
        ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'],
      );
      const incidents = await knex('k2_alert_incidents')
        .orderBy('rule_key')
        .select('rule_key', 'status', 'firing_count', 'alert_count');
      expect(
        incidents.map(i => [
          i.rule_key,
          i.status,
          Number(i.firing_count),
          Number(i.alert_count),
        ]),
      ).toEqual([0, 1, 2, 3, 4, 5].map(r => [`r${r}`, 'open', 2, 2]));
    });

    it('records a resolved alert whose firing it never received in an incident resolved from the start', async () => {
      const store = await createStore();
      const result = await store.record([resolved('late')], 'alertmanager');
      expect(result).toMatchObject({ recorded: 1, opened: [], resolved: [] });
      const [incident] = (
        await store.listIncidents({ entityRefs: [SERVICE], limit: 10 })
      ).items;
      expect(incident).toMatchObject({
        status: 'resolved',
        alertCount: 1,
        firingCount: 0,
        openedAt: '2026-11-26T10:00:00.123Z',
        resolvedAt: '2026-11-26T10:05:00.000Z',
      });
      expect((await store.getIncident(incident.id))?.alerts[0].events).toEqual([
        {
          status: 'resolved',
          at: '2026-11-26T10:05:00.000Z',
          source: 'alertmanager',
        },
      ]);
    });

    it('pages history newest first with filters, and refuses a cursor it did not give out', async () => {
      const store = await createStore();
      await store.record(
        [
          alert('a', { startsAt: '2026-11-26T10:00:00Z' }),
          alert('b', { startsAt: '2026-11-26T10:01:00Z' }),
          alert('c', {
            startsAt: '2026-11-26T10:02:00Z',
            ruleKey: 'r2',
            severity: 'critical',
          }),
        ],
        'alertmanager',
      );
      await store.record(
        [
          alert('a', {
            status: 'resolved',
            startsAt: '2026-11-26T10:00:00Z',
            endsAt: '2026-11-26T10:03:00Z',
          }),
        ],
        'alertmanager',
      );
      const page1 = await store.listHistory({ entityRef: SERVICE, limit: 2 });
      expect(page1.items.map(e => [e.labels.pod, e.status])).toEqual([
        ['a', 'resolved'],
        ['c', 'firing'],
      ]);
      const page2 = await store.listHistory({
        entityRef: SERVICE,
        limit: 2,
        cursor: page1.nextCursor,
      });
      expect(page2.items.map(e => [e.labels.pod, e.status])).toEqual([
        ['b', 'firing'],
        ['a', 'firing'],
      ]);
      expect(page2.nextCursor).toBeUndefined();
      const critical = await store.listHistory({
        entityRef: SERVICE,
        severity: 'critical',
        limit: 10,
      });
      expect(critical.items.map(e => e.labels.pod)).toEqual(['c']);
      const window = await store.listHistory({
        entityRef: SERVICE,
        from: '2026-11-26T10:01:00Z',
        to: '2026-11-26T10:03:00Z',
        rule: 'r1',
        limit: 10,
      });
      expect(window.items.map(e => e.labels.pod)).toEqual(['b']);
      await expect(
        store.listHistory({ entityRef: SERVICE, limit: 2, cursor: 'nope' }),
      ).rejects.toThrow('cursor');
    });

    it('records a storm of 10,000 alerts in one delivery, then resolves one of them', async () => {
      const store = await createStore();
      const storm = Array.from({ length: 10_000 }, (_, i) =>
        alert(`f${i}`, {
          ruleKey: `r${i % 50}`,
          labels: { alertname: 'Storm', pod: `p${i}` },
        }),
      );
      const result = await store.record(storm, 'alertmanager');
      expect(result).toMatchObject({ recorded: 10_000, duplicates: 0 });
      expect(result.opened).toHaveLength(50);
      expect(
        await store.record(
          [{ ...storm[7], status: 'resolved', endsAt: '2026-11-26T10:09:00Z' }],
          'alertmanager',
        ),
      ).toMatchObject({ recorded: 1 });
    });
  },
);
