import { APIRequestContext } from '@playwright/test';
import { expect, test } from './fixtures';
import { BACKEND, tokenFor } from './k2';

/**
 * Issue 19's first acceptance: an incident of payment-gateway (posted as Alertmanager's
 * webhook, version 4, with the portal's webhook token) notifies payments-team's members
 * in Backstage's notifications; nobody acknowledges and it escalates to the team's lead
 * after level 1's wait; alice acknowledges it from the Alerts tab and it escalates no
 * further. The escalation task runs every `k2.alerts.escalation.tick` (30 s by
 * default), so each level takes up to a tick past its wait.
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = 'payment-gateway';
const TEAM = `${BACKEND}/api/k2-alerts/teams/default/payments-team/settings`;
const LEAD = 'priya';
/** How long level 2 (the lead) waits before level 3. */
const LEAD_WAIT_SECONDS = 40;
/** `k2.alerts.escalation.tick` of the end-to-end portal (the default). */
const TICK_SECONDS = 30;
/** Set by `./k2 test` with the portal's monitoring stack. */
const TOKEN = process.env.K2_ALERTS_WEBHOOK_TOKEN;

async function as(request: APIRequestContext, user: string) {
  return { authorization: `Bearer ${await tokenFor(request, user)}` };
}

/** A user's notifications from the Alerts backend (title and when), newest first. */
async function alertNotifications(
  request: APIRequestContext,
  user: string,
): Promise<Array<{ title: string; created: string }>> {
  const response = await request.get(
    `${BACKEND}/api/notifications/notifications?topic=k2-alerts&limit=100`,
    { headers: await as(request, user) },
  );
  expect(response.ok()).toBe(true);
  const body = await response.json();
  return (
    body.notifications as Array<{ created: string; payload: { title: string } }>
  ).map(n => ({ title: n.payload.title, created: n.created }));
}

test('an unacknowledged incident escalates to the lead and stops once alice acknowledges it', async ({
  newPage,
  request,
}) => {
  test.skip(!TOKEN, 'the portal runs without the webhook token (no ./k2 test)');
  test.setTimeout(300_000);
  const alice = await as(request, 'alice');
  const before = await request.get(TEAM, { headers: alice });
  expect(before.ok()).toBe(true);
  const previous = await before.json();

  // Level 1 the team for 2 s, level 2 its lead for 40 s (time to acknowledge on a busy
  // machine before level 3 is due), level 3 the parent group.
  const put = await request.put(TEAM, {
    headers: alice,
    data: {
      channels: [
        {
          id: 'in-app',
          type: 'notifications',
          enabled: true,
          template: '{{ title }} ({{ event }}, level {{ level }})',
        },
      ],
      lead: `user:default/${LEAD}`,
      escalation: [
        { target: 'team', waitSeconds: 2 },
        { target: 'lead', waitSeconds: LEAD_WAIT_SECONDS },
        { target: 'parent', waitSeconds: 3600 },
      ],
    },
  });
  expect(put.status()).toBe(200);

  const run = Date.now().toString(36);
  // The rule's name (its alerts' alertname) is the incident's title; the alert's
  // summary stays the alert's own.
  const title = `Escalation end to end ${run}`;
  const webhook = await request.post(
    `${BACKEND}/api/k2-alerts/webhook/alertmanager`,
    {
      headers: { authorization: `Bearer ${TOKEN}` },
      data: {
        version: '4',
        status: 'firing',
        receiver: 'k2',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://127.0.0.1:7116',
        groupKey: `{}:{k2_rule="e2e-escalation-${run}"}`,
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: title,
              k2_entity: `component:default/${SERVICE}`,
              k2_rule: `e2e-escalation-${run}`,
              environment: 'test',
              severity: 'critical',
            },
            annotations: {
              summary: `Checkout of ${SERVICE} slower than 2 s on one pod`,
            },
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'http://127.0.0.1:7115/graph',
            fingerprint: `e2e${run}`,
          },
        ],
      },
    },
  );
  expect(webhook.status()).toBe(200);
  const heading = `[critical] ${title}`;

  // Level 1: alice sees it in her notifications.
  const page = await newPage('alice');
  await page.goto('/notifications');
  await expect(page.getByText(heading).first()).toBeVisible({
    timeout: 60_000,
  });

  // Nobody acknowledges: the lead hears of it a second time, as level 2.
  await expect
    .poll(
      async () =>
        (
          await alertNotifications(request, LEAD)
        ).filter(n => n.title === heading).length,
      { timeout: 90_000, intervals: [2_000] },
    )
    .toBe(2);
  const [levelTwo] = (await alertNotifications(request, LEAD)).filter(
    n => n.title === heading,
  );

  // Alice acknowledges from the incident's link in the Alerts tab.
  const incidents = await request.get(
    `${BACKEND}/api/k2-alerts/services/default/${SERVICE}/incidents?status=open`,
    { headers: alice },
  );
  const incident = (await incidents.json()).items.find(
    (i: { title: string }) => i.title === title,
  );
  await page.goto(
    `/catalog/default/component/${SERVICE}/alerts?incident=${incident.id}`,
  );
  const drawer = page.getByRole('dialog', { name: title });
  await drawer.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(drawer.getByText('Acknowledged by alice')).toBeVisible();

  // Level 3 would have been sent by a tick after level 2's wait: past that (and a
  // margin), it has not come.
  const aliceCount = (await alertNotifications(request, 'alice')).filter(
    n => n.title === heading,
  ).length;
  const levelThreeBy =
    Date.parse(levelTwo.created) +
    (LEAD_WAIT_SECONDS + TICK_SECONDS + 10) * 1000;
  await page.waitForTimeout(Math.max(levelThreeBy - Date.now(), 0));
  expect(
    (await alertNotifications(request, 'alice')).filter(
      n => n.title === heading,
    ),
  ).toHaveLength(aliceCount);
  expect(
    (await alertNotifications(request, LEAD)).filter(n => n.title === heading),
  ).toHaveLength(2);

  // The team's settings as they were (defaults when it had none).
  const restore = await request.put(TEAM, {
    headers: alice,
    data: previous.stored
      ? {
          channels: previous.channels.map(
            ({ urlHint: _hint, ...channel }: { urlHint?: string }) => channel,
          ),
          escalation: previous.escalation,
          ...(previous.lead ? { lead: previous.lead } : {}),
          ...(previous.quietHours ? { quietHours: previous.quietHours } : {}),
          ...(previous.rota ? { rota: previous.rota } : {}),
        }
      : {
          channels: previous.channels,
          escalation: previous.escalation,
        },
  });
  expect(restore.status()).toBe(200);
  await page.context().close();
});
