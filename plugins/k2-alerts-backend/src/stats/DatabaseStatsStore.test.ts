import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { Knex } from 'knex';
import { DatabaseStatsStore } from './DatabaseStatsStore';

jest.setTimeout(180_000);

const databases = createK2TestDatabases();

const BASKET = 'component:default/basket';
const LEDGER = 'component:default/ledger';
const FROM = '2026-11-20T00:00:00.000Z';

type Row = {
  entity: string;
  rule: string;
  severity: string;
  opened: string;
  resolved?: string;
  acknowledged?: string;
  alerts?: number;
  title?: string;
};

function row(r: Row, id?: number) {
  return {
    ...(id ? { id } : {}),
    entity_ref: r.entity,
    environment: 'test',
    rule_key: r.rule,
    title: r.title ?? `${r.rule} fires`,
    severity: r.severity,
    status: r.resolved ? 'resolved' : 'open',
    source: 'prometheus',
    open_key: null,
    opened_by: 'delivery',
    opened_at: r.opened,
    resolved_at: r.resolved ?? null,
    acknowledged_at: r.acknowledged ?? null,
    last_change_at: r.resolved ?? r.opened,
    firing_count: r.resolved ? 0 : 1,
    alert_count: r.alerts ?? 1,
  };
}

describe.each(databases.eachSupportedId())(
  'DatabaseStatsStore on %s',
  databaseId => {
    let knex: Knex;
    let store: DatabaseStatsStore;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      store = await DatabaseStatsStore.create({
        database: { getClient: async () => knex },
      });
    });

    afterEach(async () => {
      await knex('k2_alert_incidents').delete();
    });

    it('counts incidents per UTC day and severity, the noisiest rules, time to acknowledge and resolve, and the unacknowledged', async () => {
      await knex('k2_alert_incidents').insert(
        [
          // Before the period: not counted.
          {
            entity: BASKET,
            rule: 'memory',
            severity: 'critical',
            opened: '2026-11-19T23:59:59.000Z',
          },
          {
            entity: BASKET,
            rule: 'memory',
            severity: 'critical',
            opened: '2026-11-20T00:00:00.000Z',
            acknowledged: '2026-11-20T00:01:00.000Z',
            resolved: '2026-11-20T00:10:00.000Z',
            alerts: 3,
            title: 'Old title',
          },
          {
            entity: BASKET,
            rule: 'memory',
            severity: 'critical',
            opened: '2026-11-21T23:30:00.000Z',
            acknowledged: '2026-11-21T23:33:00.000Z',
            resolved: '2026-11-22T00:30:00.000Z',
            alerts: 2,
            title: 'Memory of basket over 90 %',
          },
          {
            entity: BASKET,
            rule: 'restarts',
            severity: 'warning',
            opened: '2026-11-21T10:00:00.000Z',
            resolved: '2026-11-21T10:20:00.000Z',
            alerts: 7,
          },
          {
            entity: BASKET,
            rule: 'cpu',
            severity: 'info',
            opened: '2026-11-25T08:00:00.000Z',
          },
          // Another service: counted only when asked for.
          {
            entity: LEDGER,
            rule: 'memory',
            severity: 'warning',
            opened: '2026-11-21T00:00:00.000Z',
          },
        ].map(r => row(r)),
      );

      const figures = await store.figures([BASKET], FROM);
      expect(figures.daily).toEqual([
        { day: '2026-11-20', severity: 'critical', count: 1 },
        { day: '2026-11-21', severity: 'critical', count: 1 },
        { day: '2026-11-21', severity: 'warning', count: 1 },
        { day: '2026-11-25', severity: 'info', count: 1 },
      ]);
      expect(figures.noisiestRules).toEqual([
        {
          entityRef: BASKET,
          ruleKey: 'memory',
          title: 'Memory of basket over 90 %',
          incidents: 2,
          alerts: 5,
        },
        {
          entityRef: BASKET,
          ruleKey: 'restarts',
          title: 'restarts fires',
          incidents: 1,
          alerts: 7,
        },
        {
          entityRef: BASKET,
          ruleKey: 'cpu',
          title: 'cpu fires',
          incidents: 1,
          alerts: 1,
        },
      ]);
      // Resolved after 10 min, 60 min and 20 min.
      expect(figures.resolveSeconds).toEqual({
        count: 3,
        mean: 1800,
        median: 1200,
      });
      // Acknowledged after 1 and 3 minutes.
      expect(figures.acknowledgeSeconds).toEqual({
        count: 2,
        mean: 120,
        median: 120,
      });
      expect(figures.unacknowledged).toEqual({ incidents: 2, alerts: 8 });

      const both = await store.figures([BASKET, LEDGER], FROM);
      expect(both.daily).toContainEqual({
        day: '2026-11-21',
        severity: 'warning',
        count: 2,
      });
      expect(await store.figures([], FROM)).toEqual({
        daily: [],
        noisiestRules: [],
        resolveSeconds: { count: 0 },
        acknowledgeSeconds: { count: 0 },
        unacknowledged: { incidents: 0, alerts: 0 },
      });
    });

    it("counts only the team's 10,000 incidents among 40,000", async () => {
      const severities = ['critical', 'warning', 'info'];
      const start = Date.parse('2026-10-01T00:00:00Z');
      const rows = [];
      for (let i = 0; i < 40_000; i++) {
        const opened = start + i * 200_000;
        rows.push(
          row({
            entity: `component:default/service-${i % 40}`,
            rule: `rule-${i % 7}`,
            severity: severities[i % 3],
            opened: new Date(opened).toISOString(),
            resolved:
              i % 5 === 0
                ? undefined
                : new Date(opened + (i % 60) * 60_000).toISOString(),
            acknowledged:
              i % 2 === 0
                ? new Date(opened + (i % 10) * 60_000).toISOString()
                : undefined,
            alerts: 1 + (i % 4),
          }),
        );
      }
      // SQLite's compound-select limit: inserts of at most 400 rows.
      for (let i = 0; i < rows.length; i += 400) {
        await knex('k2_alert_incidents').insert(rows.slice(i, i + 400));
      }
      const team = Array.from(
        { length: 10 },
        (_, i) => `component:default/service-${i}`,
      );
      const figures = await store.figures(team, '2026-10-01T00:00:00.000Z');
      expect(figures.daily.reduce((sum, d) => sum + d.count, 0)).toBe(10_000);
      expect(figures.resolveSeconds.count).toBe(8_000);
      expect(figures.noisiestRules).toHaveLength(10);
    });
  },
);
