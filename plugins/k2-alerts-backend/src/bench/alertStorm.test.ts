import knexFactory from 'knex';
import { runAlertStorm } from './alertStorm';

jest.setTimeout(120_000);

describe('runAlertStorm', () => {
  it('delivers a small storm with redeliveries and counts every alert once, one incident and one message per group', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    try {
      const result = await runAlertStorm(knex, {
        alerts: 300,
        perWebhook: 20,
        concurrency: 4,
        redeliveries: 0.2,
        perGroup: 3,
        services: 10,
        changes: 5,
      });
      expect(result).toMatchObject({
        webhooks: 15,
        redelivered: 3,
        failedCalls: [],
        alertRows: 300,
        duplicateRows: 0,
        recorded: 300,
        groups: 100,
        incidents: 100,
        groupsWithSeveralIncidents: 0,
        messages: 100,
        notifiedIncidents: 100,
        incidentsWithSeveralMessages: 0,
        openAlerts: 300,
        openIncidents: 100,
        activityEntries: 100,
        changedIncidents: 5,
      });
      expect(result.changeMs).toHaveLength(5);
      // After the changes: the five incidents' 15 alerts resolved, the rest firing.
      const [firing] = await knex('k2_alerts')
        .where({ status: 'firing' })
        .count({ n: '*' });
      expect(Number(firing.n)).toBe(285);
    } finally {
      await knex.destroy();
    }
  });
});
