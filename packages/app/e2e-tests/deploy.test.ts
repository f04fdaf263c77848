import { Browser, expect, Page, test } from '@playwright/test';
import { BACKEND, kubectl as k2kubectl, tokenFor } from './k2';

/**
 * The Deploy tab end to end: the real backend, the sandbox clusters, Chromium. One
 * story, in order, on ledger-service (owned by alice's payments-team).
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = '/catalog/default/component/ledger-service/deploy';
const REPO = 'registry.northwind.example/payments-core/ledger-service';
/** kubectl against one sandbox cluster, in the service's namespace. */
const kubectl = (cluster: string, ...args: string[]) =>
  k2kubectl(cluster, 'payments-core', ...args);

/** What kubectl says runs: the images of the service's live pods in a cluster. */
function podImages(cluster: string): string[] {
  // Terminating pods print their deletion time first; live ones start with '|'.
  const out = kubectl(
    cluster,
    'get',
    'pods',
    '-l',
    'k2.io/service=ledger-service',
    '-o',
    'jsonpath={range .items[*]}{.metadata.deletionTimestamp}|{.spec.containers[0].image}{"\\n"}{end}',
  );
  return out
    .split('\n')
    .filter(line => line.startsWith('|'))
    .map(line => line.slice(1))
    .sort();
}

async function signIn(browser: Browser, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${name}` }).click();
  await expect(page.getByText(/Owned Components \(\d+\)/)).toBeVisible();
  await page.goto(SERVICE);
  await expect(
    page.getByRole('group', { name: 'Actions in Test' }),
  ).toBeVisible();
  return page;
}

const actions = (page: Page, env: string) =>
  page.getByRole('group', { name: `Actions in ${env}` });

/** A history row by release number, within an environment's card. */
const row = (page: Page, env: 'Test' | 'Production', n: number) =>
  page
    .getByRole('region', { name: `${env} environment` })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: String(n), exact: true }) });

/** Releases so far in an environment (the story numbers its own from there). */
async function released(page: Page, env: 'Test' | 'Production') {
  const heading = page
    .getByRole('region', { name: `${env} environment` })
    .getByRole('heading', { name: /^History \(\d+\)$/ });
  await expect(heading).toBeVisible();
  return Number((await heading.innerText()).match(/\d+/)![0]);
}

async function release(
  page: Page,
  env: 'Test' | 'Production',
  image: string,
  replicas?: number,
) {
  await actions(page, env).getByRole('button', { name: 'Release' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Image').fill(image);
  if (replicas !== undefined) {
    await dialog.getByLabel('Replicas').fill(String(replicas));
  }
  await dialog.getByLabel('Message').fill(`e2e ${image}`);
  await dialog.getByRole('button', { name: 'Release' }).click();
  await expect(dialog).toBeHidden();
}

test('an owner releases, compares, rolls back, scales, and sees a bad image fail', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const alice = await signIn(browser, 'alice');
  const n = await released(alice, 'Test'); // 0 on a fresh portal

  // Release 1: a tag of the service's image repository. Progress shows while it rolls.
  await release(alice, 'Test', '2.0.0', 1);
  await expect(alice.getByLabel('Release in flight')).toBeVisible();
  await expect(row(alice, 'Test', n + 1)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  expect(podImages('test')).toEqual([`${REPO}:2.0.0`]);

  // The objects K2 made, as kubectl shows them: a lossless rollout.
  const deployment = JSON.parse(
    kubectl('test', 'get', 'deployment', 'ledger-service', '-o', 'json'),
  );
  expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  expect(deployment.metadata.labels).toMatchObject({
    'backstage.io/kubernetes-id': 'ledger-service',
    'k2.io/service': 'ledger-service',
    'app.kubernetes.io/managed-by': 'k2',
  });
  const [container] = deployment.spec.template.spec.containers;
  expect(container.readinessProbe.httpGet.path).toBe(
    '/actuator/health/readiness',
  );
  expect(container.livenessProbe).toBeDefined();
  expect(container.lifecycle.preStop.exec.command).toEqual([
    'sh',
    '-c',
    'sleep 10',
  ]);
  expect(container.resources.limits).toEqual({ cpu: '1', memory: '1Gi' });
  expect(container.resources.requests).toEqual({
    cpu: '250m',
    memory: '512Mi',
  });

  // Release 2, then the diff of the two specs shows the image change.
  await release(alice, 'Test', '2.1.0');
  await expect(row(alice, 'Test', n + 2)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  expect(podImages('test')).toEqual([`${REPO}:2.1.0`]);
  await row(alice, 'Test', n + 1)
    .getByRole('checkbox')
    .check();
  await row(alice, 'Test', n + 2)
    .getByRole('checkbox')
    .check();
  await alice.getByRole('button', { name: 'Compare selected' }).first().click();
  const diff = alice.getByRole('dialog');
  await expect(diff).toContainText(`Release #${n + 1} → #${n + 2}: 1 change`);
  const changed = diff.getByRole('row').filter({ hasText: 'image:' });
  await expect(changed).toContainText(`"${REPO}:2.0.0"`);
  await expect(changed).toContainText(`"${REPO}:2.1.0"`);
  await diff.getByRole('button', { name: 'Close' }).click();

  // Roll back to #1: a new release #3 of #1's spec.
  await row(alice, 'Test', n + 1)
    .getByRole('button', { name: `Roll back to #${n + 1}` })
    .click();
  await alice
    .getByRole('dialog')
    .getByRole('button', { name: 'Roll back' })
    .click();
  await expect(row(alice, 'Test', n + 3)).toContainText('Rollback', {
    timeout: 10_000,
  });
  await expect(row(alice, 'Test', n + 3)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  expect(podImages('test')).toEqual([`${REPO}:2.0.0`]);

  // Scale to 4.
  await actions(alice, 'Test').getByRole('button', { name: 'Scale' }).click();
  // The recommendation from current usage (metrics API) is shown beside the count.
  await expect(
    alice
      .getByRole('dialog')
      .getByText(/Recommended: \d+ replicas? — \d+ pods? use \d+m CPU/),
  ).toBeVisible();
  await alice.getByRole('dialog').getByLabel('Replicas').fill('4');
  await alice
    .getByRole('dialog')
    .getByRole('button', { name: 'Apply' })
    .click();
  await expect(row(alice, 'Test', n + 4)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  await expect(alice.getByText('test: 4/4 pods ready')).toBeVisible({
    timeout: 15_000,
  });
  expect(podImages('test')).toEqual(Array(4).fill(`${REPO}:2.0.0`));

  // An image that cannot be pulled fails the release with that reason; the old pods stay.
  await release(alice, 'Test', '9.9.9-notfound');
  await expect(row(alice, 'Test', n + 5)).toContainText('Failed', {
    timeout: 90_000,
  });
  await expect(row(alice, 'Test', n + 5)).toContainText(
    `${REPO}:9.9.9-notfound cannot be pulled`,
  );
  expect(podImages('test').filter(i => i === `${REPO}:2.0.0`)).toHaveLength(4);

  // Every action is in the activity log.
  await expect(
    alice.getByRole('row').filter({ hasText: 'release-failed' }).first(),
  ).toBeVisible();
});

test('someone from another team sees the actions disabled, and the API refuses them', async ({
  browser,
  request,
}) => {
  const bob = await signIn(browser, 'bob');
  await expect(
    actions(bob, 'Test').getByRole('button', { name: 'Release' }),
  ).toBeDisabled();
  await expect(
    actions(bob, 'Test').getByRole('button', { name: 'Scale' }),
  ).toBeDisabled();
  // Reading is allowed.
  await expect(row(bob, 'Test', 1)).toBeVisible();

  const token = await tokenFor(request, 'bob');
  const refused = await request.post(
    `${BACKEND}/api/k2-deploy/services/default/ledger-service/releases`,
    {
      headers: { Authorization: `Bearer ${token}` },
      data: { environment: 'test', image: '6.6.6' },
    },
  );
  expect(refused.status()).toBe(403);
});

test('a production release waits for an approver, who approves it in the UI', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const alice = await signIn(browser, 'alice');
  const n = await released(alice, 'Production');
  await release(alice, 'Production', '2.0.0', 3);
  await expect(row(alice, 'Production', n + 1)).toContainText(
    'Waiting for approval',
  );
  await expect(
    alice.getByText('Waiting for a member of Release approvers'),
  ).toBeVisible();
  await expect(alice.getByRole('button', { name: 'Approve' })).toHaveCount(0);

  const carol = await signIn(browser, 'carol');
  await carol.getByRole('button', { name: 'Approve' }).click();
  await expect(row(carol, 'Production', n + 1)).toContainText('Succeeded', {
    timeout: 90_000,
  });
  await expect(row(carol, 'Production', n + 1)).toContainText(
    'approved by Carol Nguyen',
  );
  expect(podImages('prod-a')).toEqual(Array(2).fill(`${REPO}:2.0.0`));
  expect(podImages('prod-b')).toEqual(Array(1).fill(`${REPO}:2.0.0`));
});
