import { Page } from '@playwright/test';
import { expect, pushImage, test } from './fixtures';
import { BACKEND, kubectl as k2kubectl, tokenFor } from './k2';

/**
 * The Deploy tab end to end: the real backend, the sandbox clusters, Chromium. One
 * story, in order, on ledger-service (owned by alice's payments-team).
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = '/catalog/default/component/ledger-service/deploy';
const REPO = 'registry.northwind.example/payments-core/ledger-service';

// K2 releases only images the registry holds; the refused release (6.6.6) needs none.
// 9.9.9-notfound is there, and its pull fails in the sandbox, as a broken image's would.
test.beforeAll(() =>
  pushImage(
    ...['2.0.0', '2.1.0', '9.9.9-notfound'].map(tag => `${REPO}:${tag}`),
  ),
);

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

/** A page of its own for a user, on the service's Deploy tab. */
async function signIn(
  newPage: (user: string) => Promise<Page>,
  name: string,
): Promise<Page> {
  const page = await newPage(name);
  await page.goto(SERVICE);
  await expect(
    page.getByRole('group', { name: 'Actions in Test' }),
  ).toBeVisible();
  return page;
}

const actions = (page: Page, env: string) =>
  page.getByRole('group', { name: `Actions in ${env}` });

type Env = 'Test' | 'Production';

/** The Deploy tab's Overview sub-view, where the environments' actions are. */
async function showOverview(page: Page) {
  await page
    .getByRole('tablist', { name: 'Deploy views' })
    .getByRole('tab', { name: 'Overview' })
    .click();
  await expect(actions(page, 'Test')).toBeVisible();
}

/** The History sub-view of one environment, through the link on its overview card. */
async function showHistory(page: Page, env: Env) {
  await page
    .getByRole('region', { name: `${env} environment` })
    .getByRole('button', { name: /^History \(\d+\)$/ })
    .click();
  await expect(
    page.getByRole('region', { name: `${env} history` }),
  ).toBeVisible();
}

/** A row of the History sub-view by release number. */
const row = (page: Page, env: Env, n: number) =>
  page
    .getByRole('region', { name: `${env} history` })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: String(n), exact: true }) });

/** Releases so far in an environment (the story numbers its own from there). */
async function released(page: Page, env: Env) {
  const link = page
    .getByRole('region', { name: `${env} environment` })
    .getByRole('button', { name: /^History \(\d+\)$/ });
  await expect(link).toBeVisible();
  return Number((await link.innerText()).match(/\d+/)![0]);
}

async function release(page: Page, env: Env, image: string, replicas?: number) {
  await actions(page, env).getByRole('button', { name: 'Release' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Image').fill(image);
  if (replicas !== undefined) {
    await dialog.getByLabel('Replicas').fill(String(replicas));
  }
  await dialog.getByLabel('Message').fill(`e2e ${image}`);
  // The preview step: what the release changes against the running one (or, for the
  // first, what it runs), before anything is released.
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByRole('status')).toBeVisible();
  await dialog.getByRole('button', { name: 'Release' }).click();
  await expect(dialog).toBeHidden();
}

test('an owner releases, compares, rolls back, scales, and sees a bad image fail', async ({
  newPage,
}) => {
  test.setTimeout(240_000);
  const alice = await signIn(newPage, 'alice');
  const n = await released(alice, 'Test'); // 0 on a fresh portal

  // Release 1: a tag of the service's image repository. Progress shows while it rolls.
  await release(alice, 'Test', '2.0.0', 1);
  await expect(alice.getByLabel('Release in flight')).toBeVisible();
  await showHistory(alice, 'Test');
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
  await showOverview(alice);
  await release(alice, 'Test', '2.1.0');
  await showHistory(alice, 'Test');
  await expect(row(alice, 'Test', n + 2)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  expect(podImages('test')).toEqual([`${REPO}:2.1.0`]);
  // The running release offers no rollback to itself.
  await expect(
    row(alice, 'Test', n + 2).getByRole('button', {
      name: `Roll back to #${n + 2}`,
    }),
  ).toHaveCount(0);
  await alice
    .getByRole('checkbox', { name: `Compare release #${n + 1}` })
    .check();
  await alice
    .getByRole('checkbox', { name: `Compare release #${n + 2}` })
    .check();
  await alice.getByRole('button', { name: 'Compare selected' }).first().click();
  const diff = alice.getByRole('dialog');
  await expect(
    diff.getByRole('heading', { name: `Release #${n + 1} → #${n + 2}` }),
  ).toBeVisible();
  await expect(diff).toContainText('1 change: 1 changed');
  const changed = diff.getByRole('row').filter({ hasText: 'image:' });
  await expect(changed).toContainText(`image: ${REPO}:2.0.0`);
  await expect(changed).toContainText(`image: ${REPO}:2.1.0`);
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
  await showOverview(alice);
  await actions(alice, 'Test').getByRole('button', { name: 'Scale' }).click();
  // The recommendation from current usage (metrics API) is shown beside the count.
  await expect(
    alice
      .getByRole('dialog')
      .getByText(/Recommended: \d+ replicas? — \d+ pods? uses? \d+m CPU/),
  ).toBeVisible();
  await alice.getByRole('dialog').getByLabel('Replicas').fill('4');
  await alice
    .getByRole('dialog')
    .getByRole('button', { name: 'Apply' })
    .click();
  // Ready of desired replicas per cluster, on the overview.
  await expect(
    alice
      .getByRole('table', { name: 'Clusters of Test' })
      .getByRole('row')
      .filter({ hasText: /^test/ }),
  ).toContainText('4/4', { timeout: 60_000 });
  await showHistory(alice, 'Test');
  await expect(row(alice, 'Test', n + 4)).toContainText('Succeeded', {
    timeout: 60_000,
  });
  expect(podImages('test')).toEqual(Array(4).fill(`${REPO}:2.0.0`));

  // An image that cannot be pulled fails the release with that reason; the old pods stay.
  await showOverview(alice);
  await release(alice, 'Test', '9.9.9-notfound');
  await showHistory(alice, 'Test');
  await expect(row(alice, 'Test', n + 5)).toContainText('Failed', {
    timeout: 90_000,
  });
  await expect(row(alice, 'Test', n + 5)).toContainText(
    `${REPO}:9.9.9-notfound cannot be pulled`,
  );
  expect(podImages('test').filter(i => i === `${REPO}:2.0.0`)).toHaveLength(4);

  // Every action is in the activity log.
  await alice
    .getByRole('tablist', { name: 'Deploy views' })
    .getByRole('tab', { name: 'Activity' })
    .click();
  await expect(
    alice.getByRole('row').filter({ hasText: 'release-failed' }).first(),
  ).toBeVisible();
});

test('someone from another team sees the actions disabled, and the API refuses them', async ({
  newPage,
  request,
}) => {
  const bob = await signIn(newPage, 'bob');
  await expect(
    actions(bob, 'Test').getByRole('button', { name: 'Release' }),
  ).toBeDisabled();
  await expect(
    actions(bob, 'Test').getByRole('button', { name: 'Scale' }),
  ).toBeDisabled();
  // Reading is allowed.
  await showHistory(bob, 'Test');
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
  newPage,
}) => {
  test.setTimeout(180_000);
  const alice = await signIn(newPage, 'alice');
  const n = await released(alice, 'Production');
  await release(alice, 'Production', '2.0.0', 3);
  const waiting = alice
    .getByRole('region', { name: 'Production environment' })
    .getByLabel('Release waiting for approval');
  await expect(waiting).toContainText('Waiting for a member of');
  await expect(waiting).toContainText('Release approvers');
  await expect(alice.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await showHistory(alice, 'Production');
  await expect(row(alice, 'Production', n + 1)).toContainText(
    'Waiting for approval',
  );

  const carol = await signIn(newPage, 'carol');
  await carol.getByRole('button', { name: 'Approve' }).click();
  await showHistory(carol, 'Production');
  await expect(row(carol, 'Production', n + 1)).toContainText('Succeeded', {
    timeout: 90_000,
  });
  await expect(row(carol, 'Production', n + 1)).toContainText(
    'approved by Carol Nguyen',
  );
  expect(podImages('prod-a')).toEqual(Array(2).fill(`${REPO}:2.0.0`));
  expect(podImages('prod-b')).toEqual(Array(1).fill(`${REPO}:2.0.0`));
});
