// eslint-disable-next-line @backstage/no-mixed-plugin-imports -- the storm runs the k2 core plugin beside the Alerts plugin, as the app does
import {
  ALICE,
  as,
  OWNER_GROUP,
  serviceEntity,
  startK2PluginTestBackend,
} from '@internal/plugin-k2-backend/testUtils';
import { SandboxCluster } from '@internal/sandbox-cluster';
import { Knex } from 'knex';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { recordingNotifications } from '../__testUtils__/recording';
import { k2AlertsPlugin } from '../plugin';

const TOKEN = 'k2-alert-storm-webhook-token';
const WEBHOOK = '/api/k2-alerts/webhook/alertmanager';

/** The size of a storm. */
export interface StormSize {
  /** Distinct alerts delivered (each a fingerprint of its own). */
  alerts: number;
  /** Alerts per webhook call. */
  perWebhook: number;
  /** Webhook calls in flight at once. */
  concurrency: number;
  /** Share of the webhook calls delivered a second time (Alertmanager's retries). */
  redeliveries: number;
  /** Alerts per incident group (service, environment, rule). */
  perGroup: number;
  /** Services the groups are spread over. */
  services: number;
  /** Status changes of one incident timed after the storm. */
  changes: number;
}

/** What a storm measured and found. */
export interface StormResult {
  webhooks: number;
  redelivered: number;
  /** Webhook calls that got no 200 answer, with their errors. */
  failedCalls: string[];
  ingestMs: number;
  /** CPU time this process (backend and sender alike) spent on the ingest. */
  ingestCpuMs: number;
  /** Alert rows stored, and those stored more than once (by fingerprint). */
  alertRows: number;
  duplicateRows: number;
  /** Sum of `recorded` the webhook answered; equals the alerts when none was lost. */
  recorded: number;
  groups: number;
  /** Incidents opened, and groups with more than one open incident. */
  incidents: number;
  groupsWithSeveralIncidents: number;
  /**
   * Messages the team was sent (Backstage notifications, recorded), incidents that
   * got one, and incidents that got more than one.
   */
  messages: number;
  notifiedIncidents: number;
  incidentsWithSeveralMessages: number;
  openAlerts: number;
  openIncidents: number;
  /** Openings in the services' activity logs, one per incident when none was lost. */
  activityEntries: number;
  /**
   * From the first webhook call until the activity logs held every opening (or the
   * count stopped growing): intake writes them after answering, in batches.
   */
  activityMs: number;
  /** Each of `changes` incidents resolved by one webhook call, with its time. */
  changeMs: number[];
  /** Incidents those calls left resolved (should be `changes`). */
  changedIncidents: number;
}

function amAlert(size: StormSize, n: number, status: 'firing' | 'resolved') {
  const group = Math.floor(n / size.perGroup);
  const service = group % size.services;
  const rule = Math.floor(group / size.services);
  return {
    status,
    labels: {
      alertname: `StormRule${rule}`,
      k2_entity: `component:default/storm-${service}`,
      k2_service: `storm-${service}`,
      k2_rule: `storm-rule-${rule}`,
      environment: 'test',
      cluster: 'storm-a',
      namespace: 'storm',
      severity: rule % 5 === 0 ? 'critical' : 'warning',
      pod: `storm-${service}-${n}`,
    },
    annotations: { summary: `storm-${service}: rule ${rule} fires` },
    startsAt: '2026-11-26T10:00:00.000Z',
    endsAt:
      status === 'resolved'
        ? '2026-11-26T10:30:00.000Z'
        : '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph',
    fingerprint: `storm${n.toString(16).padStart(8, '0')}`,
  };
}

function webhookBody(alerts: Array<ReturnType<typeof amAlert>>) {
  return {
    receiver: 'k2',
    status: alerts.some(a => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
  };
}

async function count(query: Knex.QueryBuilder): Promise<number> {
  const [row] = await query.count({ n: '*' });
  return Number(row.n);
}

/**
 * An alert storm through the Alerts backend's real webhook route, on `knex` (fresh,
 * SQLite or PostgreSQL): `size.alerts` firing alerts in calls of `size.perWebhook`,
 * `size.concurrency` calls at once, a share of the calls delivered twice (the copy
 * races its original); then the database is counted, and `size.changes` incidents
 * are resolved one at a time by a webhook call of their alerts, each timed.
 *
 * It asserts nothing: the caller judges the figures.
 */
export async function runAlertStorm(
  knex: Knex,
  size: StormSize,
): Promise<StormResult> {
  const cluster = new SandboxCluster({
    name: 'storm-a',
    tokens: ['storm-a-token'],
  });
  await cluster.listen(0);
  const entities = Array.from({ length: size.services }, (_, s) =>
    serviceEntity(`storm-${s}`, {
      'k2.io/environments': 'test',
      'k2.io/namespace': 'storm',
    }),
  );
  // The owning team with one member: every incident that opens is routed to it.
  entities.push({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: OWNER_GROUP.split('/')[1], namespace: 'default' },
    spec: { type: 'team', children: [], members: [ALICE] },
  });
  const notifications = recordingNotifications();
  const backend = await startK2PluginTestBackend({
    plugin: k2AlertsPlugin,
    pluginId: 'k2-alerts',
    entities,
    clusters: [cluster],
    knex,
    features: [notifications.factory],
    k2: {
      environments: [{ name: 'test', clusters: [{ name: 'storm-a' }] }],
      alerts: { webhook: { token: TOKEN } },
    },
  });
  try {
    const post = async (body: unknown) => {
      const response = await request(backend.server)
        .post(WEBHOOK)
        .set('Authorization', `Bearer ${TOKEN}`)
        .send(body as object);
      if (response.status !== 200) {
        throw new Error(
          `The webhook answered ${response.status}: ${JSON.stringify(
            response.body,
          )}`,
        );
      }
      return response.body as { recorded: number; duplicates: number };
    };

    // Every call once, and every 1/redeliveries-th call again right after it.
    const calls: unknown[] = [];
    let redelivered = 0;
    const webhooks = Math.ceil(size.alerts / size.perWebhook);
    const every = size.redeliveries > 0 ? Math.round(1 / size.redeliveries) : 0;
    for (let w = 0; w < webhooks; w++) {
      const alerts = [];
      for (
        let n = w * size.perWebhook;
        n < Math.min(size.alerts, (w + 1) * size.perWebhook);
        n++
      ) {
        alerts.push(amAlert(size, n, 'firing'));
      }
      const body = webhookBody(alerts);
      calls.push(body);
      if (every && w % every === every - 1) {
        calls.push(body);
        redelivered += 1;
      }
    }

    let recorded = 0;
    let next = 0;
    const failedCalls: string[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: size.concurrency }, async () => {
        while (next < calls.length) {
          const body = calls[next++];
          try {
            const answer = await post(body);
            recorded += answer.recorded;
          } catch (error) {
            // A call that fails is the backend's failure: counted, and its alerts
            // show as lost unless a redelivery stored them.
            failedCalls.push(String(error));
          }
        }
      }),
    );
    const ingestMs = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const ingestCpuMs = (cpu.user + cpu.system) / 1000;

    const alertRows = await count(knex('k2_alerts'));
    const distinct = await count(
      knex.from(knex('k2_alerts').distinct('fingerprint', 'starts_at').as('d')),
    );
    const several = await count(
      knex
        .from(
          knex('k2_alert_incidents')
            .select('entity_ref', 'environment', 'rule_key')
            .groupBy('entity_ref', 'environment', 'rule_key')
            .havingRaw('count(*) > 1')
            .as('g'),
        )
        .clearSelect(),
    );
    // Routing sends after the webhook has answered: wait until no message is added.
    for (let quiet = 0, last = -1; quiet < 3; ) {
      await new Promise(resolve => setTimeout(resolve, 500));
      quiet = notifications.sent.length === last ? quiet + 1 : 0;
      last = notifications.sent.length;
    }
    // Intake writes openings to the activity log after answering: read each service's
    // log until every incident is there or a count of them stops growing.
    const openings = async () => {
      let n = 0;
      for (const entity of entities.filter(e => e.kind === 'Component')) {
        const response = await request(backend.server)
          .get(`/api/k2/services/default/${entity.metadata.name}/activity`)
          .query({ limit: 100 })
          .set(as(ALICE));
        n += (response.body.items ?? []).filter(
          (e: { action: string }) => e.action === 'alert-incident-open',
        ).length;
      }
      return n;
    };
    let activityEntries = await openings();
    let activityMs = performance.now() - t0;
    for (
      let quiet = 0;
      quiet < 3 && activityEntries < Math.ceil(size.alerts / size.perGroup);

    ) {
      await new Promise(resolve => setTimeout(resolve, 500));
      const n = await openings();
      quiet = n === activityEntries ? quiet + 1 : 0;
      if (n !== activityEntries) activityMs = performance.now() - t0;
      activityEntries = n;
    }
    const perIncident = new Map<string, number>();
    for (const message of notifications.sent) {
      const id = /[?&]incident=(\d+)/.exec(message.payload.link ?? '')?.[1];
      if (id) perIncident.set(id, (perIncident.get(id) ?? 0) + 1);
    }
    const result: StormResult = {
      webhooks,
      redelivered,
      failedCalls,
      ingestMs,
      ingestCpuMs,
      alertRows,
      duplicateRows: alertRows - distinct,
      recorded,
      groups: Math.ceil(size.alerts / size.perGroup),
      incidents: await count(knex('k2_alert_incidents')),
      groupsWithSeveralIncidents: several,
      messages: notifications.sent.length,
      notifiedIncidents: perIncident.size,
      incidentsWithSeveralMessages: [...perIncident.values()].filter(n => n > 1)
        .length,
      openAlerts: await count(knex('k2_alerts').where({ status: 'firing' })),
      openIncidents: await count(
        knex('k2_alert_incidents').where({ status: 'open' }),
      ),
      activityEntries,
      activityMs,
      changeMs: [],
      changedIncidents: 0,
    };

    // One incident's status changed while the rest stay open: its alerts resolved by
    // one webhook call, as Alertmanager sends it (groups spread over the storm).
    const groups = result.groups;
    for (let c = 0; c < size.changes; c++) {
      const group = Math.floor(((c + 0.5) * groups) / size.changes);
      const alerts = Array.from({ length: size.perGroup }, (_, i) =>
        amAlert(size, group * size.perGroup + i, 'resolved'),
      ).filter((_, i) => group * size.perGroup + i < size.alerts);
      const t = performance.now();
      await post(webhookBody(alerts));
      result.changeMs.push(performance.now() - t);
    }
    result.changedIncidents = await count(
      knex('k2_alert_incidents').where({ status: 'resolved' }),
    );
    return result;
  } finally {
    await backend.stop();
    await cluster.stop();
  }
}
