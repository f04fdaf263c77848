import { expect, signIn, test } from './fixtures';

test('a service owner finds every service in the CMDB and opens one', async ({
  page,
}) => {
  await signIn(page, 'alice');

  // Alice's own services first: payments-team owns payment-gateway.
  await expect(
    page.getByRole('link', { name: 'Payment Gateway' }),
  ).toBeVisible();

  // The whole company's services.
  await page.goto('/?filters[kind]=component&filters[user]=all');
  const heading = page.getByText(/All Components \(\d+\)/);
  await expect(heading).toBeVisible({ timeout: 60_000 });
  const total = Number((await heading.innerText()).match(/\((\d+)\)/)![1]);
  expect(total).toBeGreaterThanOrEqual(20);

  await page.getByRole('link', { name: 'Payment Gateway' }).click();
  await expect(
    page.getByRole('heading', { name: 'Payment Gateway' }),
  ).toBeVisible();

  // Owner and system, from the catalog.
  const about = page.locator('article', { hasText: 'About' }).first();
  await expect(
    page.getByRole('link', { name: 'payments-team' }).first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'payments-core' }).first(),
  ).toBeVisible();
  await expect(about).toBeVisible();

  // K2 environments, from the service's annotations and the environment model.
  const k2 = page.locator('div', { hasText: /^K2 environments/ }).first();
  await expect(page.getByText('K2 environments')).toBeVisible();
  await expect(k2.getByText('Production', { exact: true })).toBeVisible();
  await expect(k2.getByText('Approval: release-approvers')).toBeVisible();
  await expect(k2.getByText('prod-a — 60%')).toBeVisible();
  await expect(
    k2.getByText('payment-gateway.test.k2.northwind.internal'),
  ).toBeVisible();
  await expect(k2.getByText('4 × 1 CPU · 1Gi')).toBeVisible();

  // The stock Kubernetes tab is installed for the same service.
  await expect(page.getByText('Kubernetes', { exact: true })).toBeVisible();
});

test('the chosen identity survives a reload and sign-out asks again', async ({
  page,
}) => {
  await signIn(page, 'bob');
  await page.goto('/settings');
  await expect(page.getByText('Bob Martinez').first()).toBeVisible();
  await expect(page.getByText('bob@northwind.example')).toBeVisible();

  await page.reload();
  await expect(page.getByText('bob@northwind.example')).toBeVisible();

  await page.getByRole('button', { name: 'more' }).click();
  await page.getByRole('menuitem', { name: 'Sign Out' }).click();
  await expect(
    page.getByRole('button', { name: 'Sign in as carol' }),
  ).toBeVisible();
});

test('signing in as someone who is not in the catalog says so', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByLabel('Catalog user name').fill('mallory');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(
    page.getByText(
      "No user 'user:default/mallory' in the catalog; choose another demo user",
    ),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Choose another user' }).click();
  await expect(
    page.getByRole('button', { name: 'Sign in as dave' }),
  ).toBeVisible();
});
