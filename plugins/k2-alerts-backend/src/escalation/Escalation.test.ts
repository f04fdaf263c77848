import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { K2ActionGate } from '@internal/plugin-k2-node';
import { createK2TestDatabases } from '@internal/plugin-k2-node/testUtils';
import { Knex } from 'knex';
import { EMAIL_NOT_CONFIGURED } from '../channels/readEmailConfig';
import { NotificationsChannel } from '../channels/NotificationsChannel';
import { UnavailableChannel } from '../channels/UnavailableChannel';
import { WebhookChannel } from '../channels/WebhookChannel';
import { MIGRATIONS } from '../database/migrations';
import { DatabaseIncidentStore } from '../incidents/DatabaseIncidentStore';
import { IncomingAlert } from '../incidents/IncidentStore';
import { IncidentNotifier } from '../routing/IncidentNotifier';
import { NoticeStore } from '../routing/NoticeStore';
import { NotifyMarks } from '../routing/NotifyMarks';
import { TeamDirectory } from '../routing/TeamDirectory';
import { TeamSettingsService } from '../teams/TeamSettingsService';
import { TeamSettingsStore } from '../teams/TeamSettingsStore';
import { Escalation } from './Escalation';
import { EscalationStore } from './EscalationStore';

jest.setTimeout(120_000);

const databases = createK2TestDatabases();
const SERVICE = 'component:default/basket';
const ALICE = 'user:default/alice';
const HOUR = 3_600_000;
const GRACE = 60_000;
const OPENED = '2026-11-26T10:00:00.000Z';
const INDEX = 'k2_alert_incidents_unrouted_idx';

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'basket', namespace: 'default' },
    spec: { type: 'service', lifecycle: 'production', owner: 'shop-team' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'shop-team', namespace: 'default' },
    spec: { type: 'team', children: [], members: ['alice'] },
  },
];

const firing = (rule: string, status = 'firing'): IncomingAlert => ({
  fingerprint: rule,
  startsAt: OPENED,
  endsAt: status === 'resolved' ? '2026-11-26T10:00:30.000Z' : undefined,
  status: status === 'resolved' ? 'resolved' : 'firing',
  labels: { alertname: `Basket ${rule}` },
  annotations: {},
  entityRef: SERVICE,
  environment: 'test',
  ruleKey: rule,
  severity: 'critical',
  source: 'prometheus',
});

const at = (ms: number) => new Date(new Date(OPENED).getTime() + ms);

describe.each(databases.eachSupportedId())(
  'routing incidents routing never reached, on %s',
  databaseId => {
    let knex: Knex;
    let incidents: DatabaseIncidentStore;
    let store: EscalationStore;
    let sent: NotificationSendOptions[];
    /** An escalation task of its own, as one backend replica has. */
    let replica: () => Escalation;
    /** What the team was sent: the incident id of each message and its event. */
    const messages = () =>
      sent.map(
        n => `${n.payload.link?.split('incident=')[1]} ${n.payload.title}`,
      );
    /** Records a firing alert with nothing listening: as when the backend stops then. */
    const open = async (rule: string) =>
      (await incidents.record([firing(rule)], 'alertmanager')).opened[0];

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      const database = { getClient: async () => knex };
      incidents = await DatabaseIncidentStore.create({ database });
      store = new EscalationStore(knex);
      sent = [];
      const settingsStore = await TeamSettingsStore.create({ database });
      replica = () => {
        const directory = new TeamDirectory({
          catalog: catalogServiceMock({ entities }),
          auth: mockServices.auth(),
        });
        const notifier = new IncidentNotifier({
          teams: new TeamSettingsService({
            store: settingsStore,
            // Routing only reads the teams' settings (their defaults here); the gate
            // guards changing them, which nothing here does.
            gate: undefined as unknown as K2ActionGate,
            userInfo: mockServices.userInfo(),
            baseUrl: '',
          }),
          directory,
          channels: {
            notifications: new NotificationsChannel({
              async send(options) {
                sent.push(options);
              },
            }),
            webhook: new WebhookChannel(),
            email: new UnavailableChannel(EMAIL_NOT_CONFIGURED),
          },
          marks: new NotifyMarks(knex),
          notices: new NoticeStore(knex),
          incidents,
          repeatIntervalMs: 4 * HOUR,
          baseUrl: '',
          logger: mockServices.logger.mock(),
        });
        return new Escalation({
          store,
          incidents,
          notifier,
          repeatIntervalMs: 4 * HOUR,
          unroutedAfterMs: GRACE,
          logger: mockServices.logger.mock(),
        });
      };
    });

    it('migrates the index of unrouted incidents down and up again', async () => {
      const hasIndex = async () =>
        String(knex.client.config.client).includes('sqlite')
          ? (await knex('sqlite_master').where({ type: 'index', name: INDEX }))
              .length === 1
          : (await knex('pg_indexes').where({ indexname: INDEX })).length === 1;
      expect(await hasIndex()).toBe(true);
      await knex.migrate.down({
        directory: MIGRATIONS,
        name: '20261208_alert_unrouted.js',
      });
      expect(await hasIndex()).toBe(false);
      await knex.migrate.up({
        directory: MIGRATIONS,
        name: '20261208_alert_unrouted.js',
      });
      expect(await hasIndex()).toBe(true);
    });

    it('routes an incident nobody was told of once, by the first tick after the grace period', async () => {
      const escalation = replica();
      const incident = await open('memory');

      await escalation.tick(at(GRACE - 1));
      expect(sent).toEqual([]);

      await escalation.tick(at(GRACE));
      expect(messages()).toEqual([`${incident.id} [critical] Basket memory`]);
      expect(sent[0].recipients).toEqual({
        type: 'entity',
        entityRef: [ALICE],
      });
      // Its escalation started as an opening's does: level 1, the next one due.
      expect(await store.unrouted(at(HOUR))).toEqual([]);
      expect(await store.due(at(GRACE + 15 * 60_000))).toEqual([
        { id: incident.id, level: 1 },
      ]);

      await escalation.tick(at(GRACE + 1));
      await escalation.tick(at(GRACE + 60_000));
      expect(sent).toHaveLength(1);
    });

    it('routes it once when two replicas’ ticks race for it', async () => {
      const [first, second] = [replica(), replica()];
      const incident = await open('memory');
      const other = await open('cpu');

      // The same moment on both: the groups' marks alone could not tell them apart.
      await Promise.all([first.tick(at(GRACE)), second.tick(at(GRACE))]);
      expect(messages().sort()).toEqual(
        [
          `${incident.id} [critical] Basket memory`,
          `${other.id} [critical] Basket cpu`,
        ].sort(),
      );
      await Promise.all([
        first.tick(at(2 * GRACE)),
        second.tick(at(2 * GRACE)),
      ]);
      expect(sent).toHaveLength(2);
    });

    it('never routes again an incident routed when it opened, nor one acknowledged, resolved or of a cluster', async () => {
      const escalation = replica();
      const routed = await open('memory');
      await escalation.opened([routed], at(1_000));
      expect(messages()).toEqual([`${routed.id} [critical] Basket memory`]);
      // Routing that reaches it again (a late hand-over) sends nothing either.
      await escalation.opened([routed], at(2_000));

      const acknowledged = await open('cpu');
      await incidents.acknowledge(acknowledged.id, ALICE);
      await open('restarts');
      await incidents.record([firing('restarts', 'resolved')], 'alertmanager');
      await incidents.record(
        [
          {
            ...firing('cluster:node-memory-pressure'),
            entityRef: 'cluster:test-a',
          },
        ],
        'kubernetes',
      );

      expect(await store.unrouted(at(HOUR))).toEqual([]);
      // Before its first level’s wait is up: an escalation would be a message too.
      await escalation.tick(at(5 * GRACE));
      expect(sent).toHaveLength(1);
    });

    it('keeps a quiet repeat of a group quiet, and does not take it up again', async () => {
      const escalation = replica();
      const first = await open('memory');
      await escalation.opened([first], at(1_000));
      await incidents.record([firing('memory', 'resolved')], 'alertmanager');
      // The group fires again (a new incident), and the backend stops before routing.
      const again = (
        await incidents.record(
          [{ ...firing('memory'), startsAt: '2026-11-26T10:01:00.000Z' }],
          'alertmanager',
        )
      ).opened[0];
      expect(again.id).not.toBe(first.id);

      await escalation.tick(at(3 * GRACE));
      expect(messages()).toEqual([`${first.id} [critical] Basket memory`]);
      // Taken all the same (level 1, escalating), so no later tick looks at it again.
      expect(await store.unrouted(at(HOUR))).toEqual([]);
      expect(
        (await store.due(at(3 * GRACE + 15 * 60_000))).map(({ id }) => id),
      ).toEqual([again.id]);
    });
  },
);
