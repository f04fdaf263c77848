import path from 'path';
import { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';
import { wordsIn, Words } from './words';

/**
 * Issue 18's acceptance end to end, with every part real: alice makes a memory rule
 * for payment-gateway in test from its Alerts tab; K2 compiles it, checks it with
 * promtool and writes it where Debian's Prometheus (started by `./k2 test` beside the
 * portal) reads it; the workload's memory is steered over the threshold through the
 * sandbox's admin API; Prometheus fires, Alertmanager calls K2's webhook, and the
 * incident shows on the Alerts tab; steering it back down resolves it there. Nothing
 * else in the suite steers payment-gateway's usage or makes alert rules.
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = 'payment-gateway';
const NAMESPACE = 'payments-core';
const TAB = `/catalog/default/component/${SERVICE}/alerts`;
const OWNER = 'alice';
const RULE = 'Memory high end to end';
const TEMPLATE = 'Memory usage over a share of the limit';
/** The rule's threshold in % of the limit; the sandbox idles near 45 %. */
const THRESHOLD = 75;
/**
 * The incident's row: titled by the rule's name, whichever pods fire. Each alert keeps
 * its template summary (e.g. "Memory of payment-gateway-5kp9c-qmqgt/payment-gateway at
 * 82% of its limit"), shown in the incident's drawer.
 */
const INCIDENT = new RegExp(`^${RULE}`);
const SCREENSHOTS = path.join(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

/**
 * Whether `./k2 test` started the monitoring stack beside the portal (it does once
 * the Debian packages are there, and CI fails without them); against a portal without
 * one the story cannot happen, and is reported as skipped.
 */
const MONITORING = process.env.K2_E2E_PROMETHEUS_URL;

/** The Alerts plugin's words in English and Chinese, placeholders filled in. */
const EN = wordsIn('en');
const ZH = wordsIn('zh');

/** The test cluster's sandbox admin API, as the run's kubeconfig names it. */
function sandboxAdmin() {
  const config = JSON.parse(
    kubectl(
      'test',
      NAMESPACE,
      'config',
      'view',
      '--raw',
      '--minify',
      '-o',
      'json',
    ),
  );
  // Each sandbox port answers plain HTTP too (the portal's way in).
  const url = new URL(config.clusters[0].cluster.server);
  url.protocol = 'http:';
  return {
    url: url.origin,
    headers: { authorization: `Bearer ${config.users[0].user.token}` },
  };
}

/** Steers the memory of each payment-gateway pod in test, or clears the steer. */
async function steerMemory(request: APIRequestContext, bytes?: number) {
  const admin = sandboxAdmin();
  const res =
    bytes === undefined
      ? await request.delete(
          `${admin.url}/sandbox/usage?namespace=${NAMESPACE}&workload=${SERVICE}`,
          { headers: admin.headers },
        )
      : await request.put(`${admin.url}/sandbox/usage`, {
          headers: admin.headers,
          data: { namespace: NAMESPACE, workload: SERVICE, memory: bytes },
        });
  expect(res.ok(), await res.text()).toBe(true);
}

/** payment-gateway's memory limit per pod in test, in bytes, as kubectl shows it. */
function memoryLimit(): number {
  const deployment = JSON.parse(
    kubectl('test', NAMESPACE, 'get', 'deployment', SERVICE, '-o', 'json'),
  );
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    '': 1,
  };
  let total = 0;
  for (const container of deployment.spec.template.spec.containers) {
    const m = /^(\d+)(Ki|Mi|Gi|)$/.exec(container.resources.limits.memory);
    if (!m) throw new Error(`unexpected limit ${container.resources.limits}`);
    total += Number(m[1]) * units[m[2]];
  }
  return total;
}

/** Opens the tab's incidents in test in `language`. */
async function openIncidents(page: Page, language: Words) {
  await page.goto(`${TAB}?environment=test`);
  await expect(
    page.getByRole('tab', {
      name: language.alerts('views.incidents'),
      selected: true,
    }),
  ).toBeVisible({ timeout: 30_000 });
}

test.skip(
  !MONITORING,
  'needs the monitoring stack ./k2 test starts beside the portal (K2_E2E_PROMETHEUS_URL)',
);

test('a memory rule made on the Alerts tab fires through Prometheus and Alertmanager into an incident, and resolves when the usage drops', async ({
  newPage,
  request,
}) => {
  test.setTimeout(240_000);
  await steerMemory(request);
  const owner = await newPage(OWNER);
  await owner.goto(`${TAB}/rules?environment=test`);
  await owner.getByRole('button', { name: EN.alerts('rules.create') }).click();
  const dialog = owner.getByRole('dialog', {
    name: EN.alerts('dialog.createTitle', { environment: 'Test' }),
  });
  await dialog.getByRole('textbox', { name: /^Name/ }).fill(RULE);
  await dialog.getByRole('button', { name: /^Rule/ }).click();
  await owner.getByRole('option', { name: TEMPLATE }).click();
  await dialog
    .getByRole('textbox', { name: /^Share of the memory limit/ })
    .fill(String(THRESHOLD));
  await dialog.getByRole('textbox', { name: /^For/ }).fill('0s');
  // The live preview asks the environment's Prometheus for the current value.
  await expect(
    dialog.getByRole('table', { name: EN.alerts('preview.heading') }),
  ).toBeVisible({ timeout: 30_000 });
  await owner.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-rule-dialog.en.png'),
  });
  await dialog
    .getByRole('button', { name: EN.alerts('dialog.create') })
    .click();
  await expect(dialog).toBeHidden();
  const rules = owner.getByRole('table', {
    name: EN.alerts('rules.title', { environment: 'Test' }),
  });
  await expect(
    rules.getByRole('row', { name: new RegExp(RULE) }),
  ).toContainText(EN.alerts('delivery.delivered'));
  await owner.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-rules.en.png'),
  });

  // Over the threshold: each pod at 90 % of its limit.
  await steerMemory(request, Math.round(memoryLimit() * 0.9));
  await openIncidents(owner, EN);
  const open = owner.getByRole('table', { name: EN.alerts('incidents.open') });
  await expect(open.getByRole('row', { name: INCIDENT })).toBeVisible({
    timeout: 90_000,
  });
  await expect(open.getByRole('row', { name: INCIDENT })).toContainText(
    'Prometheus',
  );
  await owner.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-incident-open.en.png'),
  });
  // The incident's alerts, as Alertmanager delivered them, in its drawer.
  await open.getByRole('row', { name: INCIDENT }).click();
  const alerts = owner.getByRole('table', {
    name: EN.alerts('alert.heading'),
    exact: true,
  });
  await expect(alerts).toContainText(EN.alerts('status.firing'));
  await expect(alerts).toContainText(`Memory of ${SERVICE}-`);
  await owner.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-incident-drawer.en.png'),
  });

  const zh = await newPage(OWNER, { locale: 'zh-CN' });
  await zh.evaluate(() => localStorage.setItem('language', 'zh'));
  await openIncidents(zh, ZH);
  await expect(
    zh
      .getByRole('table', { name: ZH.alerts('incidents.open') })
      .getByRole('row', { name: INCIDENT }),
  ).toBeVisible();
  await zh.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-incident-open.zh.png'),
  });
  await zh.goto(`${TAB}/rules?environment=test`);
  await expect(
    zh
      .getByRole('table', {
        name: ZH.alerts('rules.title', { environment: 'Test' }),
      })
      .getByRole('row', { name: new RegExp(RULE) }),
  ).toContainText(ZH.alerts('delivery.delivered'));
  await zh.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-rules.zh.png'),
  });
  await zh.context().close();

  // Back under the threshold: Prometheus resolves, Alertmanager says so, K2 closes it.
  await steerMemory(request);
  await openIncidents(owner, EN);
  await expect(
    owner
      .getByRole('table', { name: EN.alerts('incidents.resolved') })
      .getByRole('row', { name: INCIDENT })
      .first(),
  ).toBeVisible({ timeout: 90_000 });
  // No longer among the open ones (other specs' incidents of payment-gateway, such as
  // the escalation spec's, may be open meanwhile).
  await expect(
    owner
      .getByRole('table', { name: EN.alerts('incidents.open') })
      .getByRole('row', { name: INCIDENT }),
  ).toHaveCount(0);
  await owner.screenshot({
    path: path.join(SCREENSHOTS, 'alerts-incident-resolved.en.png'),
  });

  // The rule goes again, so a rerun against the same portal starts from none.
  const token = await tokenFor(request, OWNER);
  const listed = await request.get(
    `${BACKEND}/api/k2-alerts/services/default/${SERVICE}/rules?environment=test`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  const rule = (await listed.json()).items.find(
    (r: { name: string }) => r.name === RULE,
  );
  const removed = await request.delete(
    `${BACKEND}/api/k2-alerts/services/default/${SERVICE}/rules/${rule.id}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  expect(removed.status()).toBe(204);
});
