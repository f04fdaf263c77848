import { APIRequestContext, Page } from '@playwright/test';
import { expect, pushImage, test } from './fixtures';
import { BACKEND, kubectl as k2kubectl, tokenFor } from './k2';

/**
 * Instances on the Deploy tab end to end: the real backend, the sandbox clusters,
 * Chromium. One story, in order, on refund-worker (owned by alice's payments-team) in
 * the test environment.
 */
test.describe.configure({ mode: 'serial' });

const NAME = 'refund-worker';
/** The Deploy tab's Instances sub-view: live instances, a drawer per instance, history. */
const PAGE = `/catalog/default/component/${NAME}/deploy/instances`;
const API = `${BACKEND}/api/k2-deploy/services/default/${NAME}`;
const REPO = 'registry.northwind.example/payments-core/refund-worker';
const kubectl = (...args: string[]) =>
  k2kubectl('test', 'payments-core', ...args);

/**
 * Pushes the tag to the registry (K2 releases only images it holds), then releases it
 * to test through the API (the Deploy tab's own flow has its own test).
 */
async function release(
  request: APIRequestContext,
  body: { image: string; replicas?: number },
  until: Array<string> = ['succeeded'],
): Promise<number> {
  await pushImage(`${REPO}:${body.image}`);
  const token = await tokenFor(request, 'alice');
  const headers = { Authorization: `Bearer ${token}` };
  const created = await request.post(`${API}/releases`, {
    headers,
    data: { environment: 'test', message: `e2e ${body.image}`, ...body },
  });
  expect(created.status()).toBe(201);
  const { id, number } = await created.json();
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(`${BACKEND}/api/k2-deploy/releases/${id}`, {
              headers,
            })
          ).json()
        ).status,
      { timeout: 120_000, intervals: [1000] },
    )
    .toMatch(new RegExp(`^(${until.join('|')})$`));
  return number;
}

/** A page of its own for a user, on the service's Deploy tab. */
async function open(
  newPage: (user: string) => Promise<Page>,
  user: string,
): Promise<Page> {
  const page = await newPage(user);
  await page.goto(PAGE);
  await expect(
    page.getByRole('table', { name: 'Live instances' }),
  ).toBeVisible();
  return page;
}

// By CSS rather than role: the instance drawer is modal, so while it is open the
// tables behind it are aria-hidden, yet still on screen and updating.
const live = (page: Page) => page.locator('table[aria-label="Live instances"]');
const history = (page: Page) =>
  page.locator('table[aria-label="Historical containers"]');

/** The Service's endpoint IPs, as kubectl reads them. */
const endpointIps = () =>
  kubectl(
    'get',
    'endpoints',
    NAME,
    '-o',
    'jsonpath={.subsets[*].addresses[*].ip}',
  )
    .split(/\s+/)
    .filter(Boolean);

/** The service's pods that are not terminating: name and IP, from kubectl. */
function livePods(): Array<{ name: string; ip: string }> {
  return kubectl(
    'get',
    'pods',
    '-l',
    `k2.io/service=${NAME}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.metadata.deletionTimestamp}{"\\n"}{end}',
  )
    .split('\n')
    .map(l => l.trim().split(' '))
    .filter(parts => parts.length === 2 && parts[1])
    .map(([name, ip]) => ({ name, ip }));
}

const readyPod = () => livePods()[0];

test('after a release the old pods are historical containers; an open instance stays open; logs follow live', async ({
  newPage,
  request,
}) => {
  test.setTimeout(300_000);
  const tag = `e2e-${Date.now()}`;
  await release(request, { image: `${tag}-a`, replicas: 2 });
  const replaced = livePods().map(p => p.name);
  expect(replaced).toHaveLength(2);
  const n = await release(request, { image: `${tag}-b`, replicas: 2 });

  const page = await open(newPage, 'alice');
  for (const pod of replaced) {
    await expect(
      history(page)
        .locator('tr')
        .filter({ hasText: pod })
        .filter({ hasText: `Replaced by release #${n}` })
        .first(),
    ).toBeVisible();
  }

  // Open one live instance; it stays open across the list's updates.
  const pod = readyPod();
  await live(page).locator('tr').filter({ hasText: pod.name }).click();
  const panel = page.getByRole('region', { name: `Instance ${pod.name}` });
  await expect(panel).toBeVisible();
  // The list updates (the row's age moves on: relative times count minutes, so
  // within about a minute) and the panel stays open.
  const row = live(page).locator('tr').filter({ hasText: pod.name });
  const before = await row.innerText();
  await expect
    .poll(() => row.innerText(), { timeout: 90_000, intervals: [2000] })
    .not.toBe(before);
  await expect(panel).toBeVisible();

  // Follow its log: new lines arrive while it is open.
  await panel.getByRole('tab', { name: 'Logs' }).click();
  await panel.getByLabel('Follow').check();
  const lineCount = async () => {
    const text = await panel.getByText(/Following · \d+ lines/).innerText();
    return Number(/(\d+) lines/.exec(text)![1]);
  };
  await expect.poll(lineCount, { timeout: 30_000 }).toBeGreaterThan(0);
  const first = await lineCount();
  await expect.poll(lineCount, { timeout: 60_000 }).toBeGreaterThan(first);
  await panel.getByLabel('Search in the loaded log').fill('zzz-not-in-any-log');
  await expect(panel.getByText(/0 matching/)).toBeVisible();
  await panel.getByLabel('Search in the loaded log').fill('');

  // Out of traffic: gone from the endpoints, still running; then back.
  expect(endpointIps()).toContain(pod.ip);
  await panel.getByRole('button', { name: 'Take out of traffic' }).click();
  const confirmOut = page.getByRole('dialog', {
    name: `Take ${pod.name} out of traffic?`,
  });
  await confirmOut.getByRole('button', { name: 'Take out of traffic' }).click();
  await expect(confirmOut).toBeHidden();
  await expect.poll(endpointIps, { timeout: 20_000 }).not.toContain(pod.ip);
  expect(
    kubectl('get', 'pod', pod.name, '-o', 'jsonpath={.status.phase}'),
  ).toBe('Running');
  await expect(
    live(page).locator('tr').filter({ hasText: pod.name }),
  ).toContainText('Out of traffic');

  await panel.getByRole('button', { name: 'Put back into traffic' }).click();
  await page
    .getByRole('dialog', { name: `Put ${pod.name} back into traffic?` })
    .getByRole('button', { name: 'Put back' })
    .click();
  await expect.poll(endpointIps, { timeout: 20_000 }).toContain(pod.ip);
  await expect(panel).toContainText('Receives traffic.');
});

test('someone from another team cannot take an instance out of traffic: the UI disables it, the API refuses', async ({
  newPage,
  request,
}) => {
  const pod = readyPod();
  const page = await open(newPage, 'bob');
  await live(page).locator('tr').filter({ hasText: pod.name }).click();
  const panel = page.getByRole('region', { name: `Instance ${pod.name}` });
  for (const name of [
    'Take out of traffic',
    'Restart instance',
    'Destroy instance',
  ]) {
    await expect(panel.getByRole('button', { name })).toBeDisabled();
  }
  const token = await tokenFor(request, 'bob');
  const refused = await request.put(
    `${API}/environments/test/instances/test/${pod.name}/traffic`,
    {
      headers: { Authorization: `Bearer ${token}` },
      data: { inTraffic: false },
    },
  );
  expect(refused.status()).toBe(403);
  expect(endpointIps()).toContain(pod.ip);
});

test('an OOM-killed container shows that reason and its previous logs', async ({
  newPage,
  request,
}) => {
  test.setTimeout(240_000);
  // The release itself keeps rolling while the container is killed and restarted.
  await release(request, { image: `e2e-${Date.now()}-oomkill`, replicas: 1 }, [
    'rolling-out',
    'failed',
    'timed-out',
  ]);
  const oomKilled = () =>
    kubectl(
      'get',
      'pods',
      '-l',
      `k2.io/service=${NAME}`,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.containerStatuses[0].lastState.terminated.reason}{"\\n"}{end}',
    )
      .split('\n')
      .find(l => l.endsWith(' OOMKilled'))
      ?.split(' ')[0];
  await expect
    .poll(oomKilled, { timeout: 120_000, intervals: [2000] })
    .toBeTruthy();
  const pod = oomKilled()!;

  const page = await open(newPage, 'alice');
  await live(page).locator('tr').filter({ hasText: pod }).click();
  const panel = page.getByRole('region', { name: `Instance ${pod}` });
  await expect(panel.getByRole('table', { name: 'Containers' })).toContainText(
    'OOMKilled (exit 137)',
  );
  await panel.getByRole('tab', { name: 'Logs' }).click();
  await panel.getByLabel('Previous container').check();
  await expect(panel.getByLabel('Log output')).not.toBeEmpty();
  await expect(
    history(page).locator('tr').filter({ hasText: pod }).first(),
  ).toContainText('OOMKilled (exit 137)');
});
