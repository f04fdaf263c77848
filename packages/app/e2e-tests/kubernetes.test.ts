import { expect, signIn, test } from './fixtures';

test('the stock Kubernetes tab shows a service’s pods from the sandbox clusters', async ({
  page,
}) => {
  await signIn(page, 'alice');

  await page.goto('/catalog/default/component/payment-gateway/kubernetes');
  await expect(
    page.getByRole('heading', { name: 'Your Clusters' }),
  ).toBeVisible();

  // payment-gateway runs 4 replicas in prod (prod-a 60%, prod-b 40%) and 1 in test.
  const prodA = page.getByRole('button', { name: /prod-a\s+Cluster/ });
  await expect(prodA).toContainText('2 pods');
  await expect(prodA).toContainText('No pods with errors');
  await expect(
    page.getByRole('button', { name: /^test\s+Cluster/ }),
  ).toContainText('1 pod');

  await prodA.click();
  // The accordion summary of the Deployment (its title is a second button that opens
  // a drawer).
  const deployment = page
    .getByRole('button', { name: /payment-gateway\s+Deployment/ })
    .first();
  await expect(deployment).toContainText('namespace: payments-core');
  await expect(deployment).toContainText('2 pods');

  // The pods themselves, by name, with their status.
  await deployment.getByText('2 pods').click();
  const pods = page
    .getByRole('row')
    .filter({ hasText: /payment-gateway-[a-z0-9]+-[a-z0-9]{5}/ });
  await expect(pods).toHaveCount(2);
  await expect(pods.first()).toContainText('Running');
});
