import { APIRequestContext } from '@playwright/test';
import { expect, pushImage, test } from './fixtures';
import { BACKEND, kubectl as k2kubectl, tokenFor } from './k2';

/**
 * A canary release on the Deploy tab end to end: the real backend, the sandbox
 * clusters, Chromium. On product-search (owned by bob's storefront-team) in test,
 * which no other end-to-end file changes.
 */
const NAME = 'product-search';
const TAB = `/catalog/default/component/${NAME}/deploy`;
const API = `${BACKEND}/api/k2-deploy/services/default/${NAME}`;
const REPO = 'registry.northwind.example/storefront/product-search';
const kubectl = (...args: string[]) => k2kubectl('test', 'storefront', ...args);

/** The service's Deployments in the test cluster, as kubectl lists them. */
const deployments = () =>
  kubectl(
    'get',
    'deployments',
    '-l',
    `k2.io/service=${NAME}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}',
  )
    .split('\n')
    .filter(Boolean)
    .sort();

// K2 releases (and runs as canaries) only images the registry holds.
test.beforeAll(() => pushImage(`${REPO}:3.0.0`, `${REPO}:3.1.0-rc1`));

/** Releases an image to test through the API and waits until it succeeded. */
async function released(request: APIRequestContext, image: string) {
  const headers = {
    Authorization: `Bearer ${await tokenFor(request, 'bob')}`,
  };
  const created = await request.post(`${API}/releases`, {
    headers,
    data: { environment: 'test', image, message: `e2e ${image}` },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
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
    .toBe('succeeded');
}

test('an owner starts a canary from the Release dialog, sees it beside the stable release, and aborts it', async ({
  newPage,
  request,
}) => {
  test.setTimeout(240_000);
  await released(request, '3.0.0');
  const page = await newPage('bob');
  await page.goto(TAB);
  const panel = page.getByRole('region', { name: 'Test environment' });
  await expect(panel.getByText(/Running #\d+/)).toBeVisible();

  await panel
    .getByRole('group', { name: 'Actions in Test' })
    .getByRole('button', { name: 'Release' })
    .click();
  const dialog = page.getByRole('dialog', { name: 'Release to Test' });
  await dialog.getByRole('radio', { name: 'Release as canary' }).check();
  await dialog.getByLabel('Image').fill('3.1.0-rc1');
  await dialog.getByRole('button', { name: 'Start canary' }).click();
  await expect(dialog).toBeHidden();

  // The card: the canary's image and its pod ready, beside the stable release.
  const card = panel.getByRole('region', { name: 'Canary in Test' });
  await expect(card.getByRole('heading')).toHaveText('Canary 3.1.0-rc1');
  await expect(
    card.getByRole('table', { name: 'Canary pods of Test' }).getByRole('row', {
      name: /test/,
    }),
  ).toContainText('1/1', { timeout: 60_000 });
  expect(deployments()).toEqual([NAME, `${NAME}-canary`]);
  expect(
    kubectl(
      'get',
      'deployment',
      `${NAME}-canary`,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ),
  ).toBe(`${REPO}:3.1.0-rc1`);

  // Abort, confirmed: the canary Deployment goes, the stable one stays.
  await card.getByRole('button', { name: 'Abort' }).click();
  const confirm = page.getByRole('dialog', {
    name: 'Abort the canary in Test?',
  });
  await confirm.getByRole('button', { name: 'Abort' }).click();
  await expect(confirm).toBeHidden();
  await expect(card).toBeHidden();
  expect(deployments()).toEqual([NAME]);
  expect(
    kubectl(
      'get',
      'deployment',
      NAME,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ),
  ).toBe(`${REPO}:3.0.0`);
});
