import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { Knex } from 'knex';
import { MIGRATIONS } from '../database/migrations';
import { DatabaseIncidentStore } from '../incidents/DatabaseIncidentStore';
import { IncomingAlert } from '../incidents/IncidentStore';
import { NotifyMarks } from '../routing/NotifyMarks';
import { EscalationStore } from './EscalationStore';

jest.setTimeout(120_000);

const databases = createK2TestDatabases();
const SERVICE = 'component:default/basket';
const HOUR = 3_600_000;

const firing = (fingerprint: string, ruleKey: string): IncomingAlert => ({
  fingerprint,
  startsAt: '2026-11-26T10:00:00Z',
  status: 'firing',
  labels: { alertname: 'BasketMemoryHigh' },
  annotations: {},
  entityRef: SERVICE,
  environment: 'test',
  ruleKey,
  severity: 'warning',
  source: 'prometheus',
});

describe.each(databases.eachSupportedId())(
  'escalation state and notify marks on %s',
  databaseId => {
    let knex: Knex;
    let incidents: DatabaseIncidentStore;
    let escalation: EscalationStore;
    let marks: NotifyMarks;
    const open = async (rule: string) =>
      (await incidents.record([firing(rule, rule)], 'alertmanager')).opened[0];

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      incidents = await DatabaseIncidentStore.create({
        database: { getClient: async () => knex },
      });
      escalation = new EscalationStore(knex);
      marks = new NotifyMarks(knex);
    });

    it('migrates down and up again', async () => {
      const state = async () => [
        await knex.schema.hasColumn('k2_alert_incidents', 'escalate_at'),
        await knex.schema.hasColumn('k2_alert_incidents', 'acknowledged_by'),
        await knex.schema.hasTable('k2_alert_team_settings'),
        await knex.schema.hasTable('k2_alert_notify_marks'),
      ];
      expect(await state()).toEqual([true, true, true, true]);
      await knex.migrate.down({
        directory: MIGRATIONS,
        name: '20261203_alert_escalation.js',
      });
      expect(await state()).toEqual([false, false, false, false]);
      await knex.migrate.up({
        directory: MIGRATIONS,
        name: '20261203_alert_escalation.js',
      });
      expect(await state()).toEqual([true, true, true, true]);
    });

    it('escalates a due incident once, and never an acknowledged or resolved one', async () => {
      const a = await open('a');
      const b = await open('b');
      const c = await open('c');
      const t0 = new Date('2026-11-26T10:00:00Z');
      const due = new Date(t0.getTime() + 60_000);
      for (const incident of [a, b, c])
        await escalation.arm(incident.id, 1, due);

      expect(await escalation.due(t0)).toEqual([]);
      await incidents.acknowledge(b.id, 'user:default/alice');
      await incidents.resolve(c.id, 'user:default/erin');
      expect(await escalation.due(due)).toEqual([{ id: a.id, level: 1 }]);

      // Two replicas advance the same level: one wins.
      const [first, second] = await Promise.all([
        escalation.advance(a.id, 1, 2, undefined),
        escalation.advance(a.id, 1, 2, undefined),
      ]);
      expect([first, second].sort()).toEqual([false, true]);
      expect(await escalation.due(new Date(due.getTime() + HOUR))).toEqual([]);

      // Acknowledged: kept as first acknowledged; resolved: 409 both ways.
      const again = await incidents.acknowledge(b.id, 'user:default/erin');
      expect(again).toMatchObject({ acknowledgedBy: 'user:default/alice' });
      await expect(incidents.acknowledge(c.id, 'x')).rejects.toThrow(
        /is resolved/,
      );
      await expect(incidents.resolve(c.id, 'x')).rejects.toThrow(
        /resolved already/,
      );
      expect(await incidents.resolve('999999', 'x')).toBeUndefined();
    });

    it('takes the turns of a delivery’s groups in one go, each group once, and arms its incidents', async () => {
      const t0 = new Date('2026-11-26T10:00:00Z');
      const [a, b] = [`${SERVICE}|test|a`, `${SERVICE}|test|b`];
      expect(await marks.take(a, 4 * HOUR, t0)).toBe(true);
      // Two replicas taking the same turns at once: each group goes to one of them.
      const [first, second] = await Promise.all([
        marks.takeAll([a, b, b], 4 * HOUR, new Date(t0.getTime() + 1)),
        marks.takeAll([b], 4 * HOUR, new Date(t0.getTime() + 2)),
      ]);
      expect([...first, ...second]).toEqual([b]);
      expect(await marks.takeAll([], 4 * HOUR, t0)).toEqual(new Set());

      const incident = await open('a');
      const next = new Date(t0.getTime() + HOUR);
      await escalation.armAll([{ id: incident.id, level: 1, next }]);
      expect(await escalation.due(next)).toEqual([
        { id: incident.id, level: 1 },
      ]);
    });

    it('arms a batch’s incidents in the transaction that takes their turns: both or neither', async () => {
      const t0 = new Date('2026-11-26T10:00:00Z');
      const next = new Date(t0.getTime() + HOUR);
      const [x, y] = [await open('x'), await open('y')];
      const groups = [`${SERVICE}|test|x`, `${SERVICE}|test|y`];

      // Arming fails half-way: no turn is taken, so the groups are still told later.
      await expect(
        marks.takeAll(groups, 4 * HOUR, t0, async trx => {
          await escalation.armAll([{ id: x.id, level: 1, next }], trx);
          throw new Error('arming failed');
        }),
      ).rejects.toThrow('arming failed');
      expect(await escalation.due(next)).toEqual([]);

      let armed = new Set<string>();
      const taken = await marks.takeAll(groups, 4 * HOUR, t0, async trx => {
        armed = await escalation.armAll(
          [x, y].map(({ id }) => ({ id, level: 1, next })),
          trx,
        );
      });
      expect([...armed].sort()).toEqual([x.id, y.id].sort());
      expect([...taken].sort()).toEqual(groups);
      expect((await escalation.due(next)).map(({ id }) => id).sort()).toEqual(
        [x.id, y.id].sort(),
      );
    });

    it('gives a group one turn per interval, and reminders of open unacknowledged incidents', async () => {
      const t0 = new Date('2026-11-26T10:00:00Z');
      const later = (ms: number) => new Date(t0.getTime() + ms);
      const group = `${SERVICE}|test|r`;
      const turns = await Promise.all([
        marks.take(group, 4 * HOUR, t0),
        marks.take(group, 4 * HOUR, later(1)),
      ]);
      expect(turns.filter(Boolean)).toHaveLength(1);
      expect(await marks.take(group, 4 * HOUR, later(HOUR))).toBe(false);

      const incident = await open('r');
      expect(await escalation.repeatsDue(later(HOUR), 4 * HOUR)).toEqual([]);
      expect(await escalation.repeatsDue(later(5 * HOUR), 4 * HOUR)).toEqual([
        { id: incident.id, level: 0 },
      ]);
      expect(await marks.take(group, 4 * HOUR, later(5 * HOUR))).toBe(true);
      expect(await escalation.repeatsDue(later(6 * HOUR), 4 * HOUR)).toEqual(
        [],
      );
      await incidents.acknowledge(incident.id, 'user:default/alice');
      expect(await escalation.repeatsDue(later(10 * HOUR), 4 * HOUR)).toEqual(
        [],
      );
    });
  },
);
