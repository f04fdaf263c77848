import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { Knex } from 'knex';
import { MIGRATIONS } from '../database/migrations';
import { DatabaseIncidentStore } from '../incidents/DatabaseIncidentStore';
import { IncomingAlert } from '../incidents/IncidentStore';
import { NoticeStore } from './NoticeStore';

jest.setTimeout(120_000);

const databases = createK2TestDatabases();
const TEAM = 'group:default/payments-team';
const ALICE = 'user:default/alice';
const ERIN = 'user:default/erin';
const LENA = 'user:default/lena';

const alert = (
  ruleKey: string,
  status: 'firing' | 'resolved' = 'firing',
): IncomingAlert => ({
  fingerprint: ruleKey,
  startsAt: '2026-11-26T10:00:00Z',
  endsAt: status === 'resolved' ? '2026-11-26T10:05:00Z' : undefined,
  status,
  labels: { alertname: 'PaymentFailures' },
  annotations: {},
  entityRef: 'component:default/payment-gateway',
  environment: 'prod',
  ruleKey,
  severity: 'critical',
  source: 'prometheus',
});

describe.each(databases.eachSupportedId())(
  'notices of told incidents on %s',
  databaseId => {
    let knex: Knex;
    let incidents: DatabaseIncidentStore;
    let notices: NoticeStore;
    const open = async (rule: string) =>
      (await incidents.record([alert(rule)], 'alertmanager')).opened[0];

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      incidents = await DatabaseIncidentStore.create({
        database: { getClient: async () => knex },
      });
      notices = new NoticeStore(knex);
    });

    it('migrates down and up again', async () => {
      expect(await knex.schema.hasTable('k2_alert_notices')).toBe(true);
      await knex.migrate.down({
        directory: MIGRATIONS,
        name: '20261207_alert_notices.js',
      });
      expect(await knex.schema.hasTable('k2_alert_notices')).toBe(false);
      await knex.migrate.up({
        directory: MIGRATIONS,
        name: '20261207_alert_notices.js',
      });
      expect(await knex.schema.hasTable('k2_alert_notices')).toBe(true);
    });

    it('lists a told incident once it resolves, by its alerts or by hand, and hands it out once', async () => {
      const byAlerts = await open('a');
      const byHand = await open('b');
      const stillOpen = await open('c');
      const untold = await open('d');
      await notices.addOpened(
        [byAlerts, byHand, stillOpen].map(incident => ({
          incidentId: incident.id,
          team: TEAM,
          channels: ['in-app', 'mail'],
          recipients: [ERIN, ALICE],
          level: 1,
        })),
      );
      expect(await notices.resolved(10)).toEqual([]);

      await incidents.record([alert('a', 'resolved')], 'alertmanager');
      await incidents.resolve(byHand.id, ERIN);
      await incidents.resolve(untold.id, ERIN);
      expect(await notices.resolved(10)).toEqual(
        [byAlerts, byHand].map(incident => ({
          incidentId: incident.id,
          team: TEAM,
          channels: ['in-app', 'mail'],
          recipients: [ALICE, ERIN],
          level: 1,
        })),
      );
      expect(await notices.resolved(1)).toHaveLength(1);

      // Two replicas take the same notice: one gets it.
      expect(
        await Promise.all([notices.take(byHand.id), notices.take(byHand.id)]),
      ).toEqual(expect.arrayContaining([true, false]));
      expect(
        (await notices.resolved(10)).map(notice => notice.incidentId),
      ).toEqual([byAlerts.id]);
    });

    it('adds what an escalation told to what the opening told', async () => {
      const incident = await open('e');
      await notices.addOpened([
        {
          incidentId: incident.id,
          team: TEAM,
          channels: ['in-app'],
          recipients: [ALICE, ERIN],
          level: 1,
        },
      ]);
      await notices.add({
        incidentId: incident.id,
        team: TEAM,
        channels: ['in-app', 'chat'],
        recipients: [LENA],
        level: 2,
      });
      // An incident whose opening was not told is recorded by its escalation.
      const quiet = await open('f');
      await notices.add({
        incidentId: quiet.id,
        team: TEAM,
        channels: ['chat'],
        recipients: [LENA],
        level: 2,
      });
      await incidents.resolve(incident.id, ALICE);
      await incidents.resolve(quiet.id, ALICE);
      expect(await notices.resolved(10)).toEqual([
        {
          incidentId: incident.id,
          team: TEAM,
          channels: ['chat', 'in-app'],
          recipients: [ALICE, ERIN, LENA],
          level: 2,
        },
        {
          incidentId: quiet.id,
          team: TEAM,
          channels: ['chat'],
          recipients: [LENA],
          level: 2,
        },
      ]);
    });

    it('records a storm’s notices in one call', async () => {
      const opened = (
        await incidents.record(
          Array.from({ length: 400 }, (_, i) => alert(`storm-${i}`)),
          'alertmanager',
        )
      ).opened;
      await notices.addOpened(
        opened.map(incident => ({
          incidentId: incident.id,
          team: TEAM,
          channels: ['in-app'],
          recipients: [ALICE],
          level: 1,
        })),
      );
      const [{ n }] = await knex('k2_alert_notices').count({ n: '*' });
      expect(Number(n)).toBe(400);
    });
  },
);
