import path from 'path';
import { expect, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';

/**
 * The Storage tab end to end: the real backend creating PVCs in the sandbox cluster,
 * which provisions and grows them as a real one does. One story, in order, on
 * ledger-service (owned by alice's payments-team; namespace payments-core in the test
 * cluster).
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = 'ledger-service';
const TAB = `/catalog/default/component/${SERVICE}/storage`;
const NAMESPACE = 'payments-core';

/** The PVC as kubectl shows it in the test cluster. */
function pvc(name: string) {
  return JSON.parse(
    kubectl(
      'test',
      NAMESPACE,
      'get',
      'pvc',
      `${SERVICE}-${name}`,
      '-o',
      'json',
    ),
  ) as {
    spec: {
      storageClassName: string;
      resources: { requests: { storage: string } };
    };
    status: { phase: string; capacity?: { storage: string } };
  };
}

test('an owner creates a 5 Gi NFS volume in test, sees it Bound, and expands it to 8 Gi once the cluster reports it', async ({
  newPage,
}) => {
  test.setTimeout(180_000);
  const alice = await newPage('alice');
  await alice.goto(`${TAB}?environment=test`);
  await alice.getByRole('button', { name: 'New volume' }).click();
  const dialog = alice.getByRole('dialog', { name: 'New volume in Test' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('data');
  await dialog.getByRole('button', { name: /Storage class/ }).click();
  await alice.getByRole('option', { name: /^NFS \(nfs\)/ }).click();
  await dialog.getByRole('textbox', { name: 'Size' }).fill('5');
  await dialog.getByRole('button', { name: /Access mode/ }).click();
  await alice.getByRole('option', { name: /^ReadWriteMany/ }).click();
  await expect(dialog).toContainText(
    `Creates PVC ${SERVICE}-data in namespace ${NAMESPACE} of test`,
  );
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const table = alice.getByRole('table', { name: 'Volumes in Test' });
  const row = table.getByRole('row', { name: /^data/ });
  await expect(row).toContainText('test Bound 5Gi');
  await expect(row).toContainText('ReadWriteMany');
  await expect(row).toContainText('No release');
  const created = pvc('data');
  expect(created.status.phase).toBe('Bound');
  expect(created.status.capacity?.storage).toBe('5Gi');
  expect(created.spec.storageClassName).toBe('nfs');

  await row.getByRole('button', { name: 'Expand data' }).click();
  const expand = alice.getByRole('dialog', { name: 'Expand data in Test' });
  await expand.getByRole('textbox', { name: 'New size' }).fill('8');
  await expand.getByRole('button', { name: 'Expand' }).click();
  await expect(expand).toBeHidden();
  // The table follows the cluster: the new capacity once it reports it.
  await expect(row).toContainText('test Bound 8Gi');
  await expect(row).not.toContainText('expanding');
  expect(pvc('data').status.capacity?.storage).toBe('8Gi');
});

test('a class without expansion: Expand is disabled with the reason, and the API refuses naming the class', async ({
  newPage,
  request,
}) => {
  test.setTimeout(120_000);
  const alice = await newPage('alice');
  await alice.goto(`${TAB}?environment=test`);
  await alice.getByRole('button', { name: 'New volume' }).click();
  const dialog = alice.getByRole('dialog', { name: 'New volume in Test' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('scratch');
  await dialog.getByRole('button', { name: /Storage class/ }).click();
  await alice
    .getByRole('option', { name: /^Local disk \(standard\).*cannot expand/ })
    .click();
  await dialog.getByRole('textbox', { name: 'Size' }).fill('1');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const row = alice
    .getByRole('table', { name: 'Volumes in Test' })
    .getByRole('row', { name: /^scratch/ });
  await expect(row).toContainText('test Bound 1Gi');
  const expandButton = row.getByRole('button', { name: 'Expand scratch' });
  await expect(expandButton).toBeDisabled();
  await expandButton.locator('..').hover();
  await expect(
    alice.getByRole('tooltip', {
      name: 'Its storage class standard does not allow volume expansion',
    }),
  ).toBeVisible();

  const token = await tokenFor(request, 'alice');
  const refused = await request.post(
    `${BACKEND}/api/k2-storage/services/default/${SERVICE}/environments/test/volumes/scratch/expand`,
    {
      headers: { authorization: `Bearer ${token}` },
      data: { size: '2Gi' },
    },
  );
  expect(refused.status()).toBe(409);
  expect((await refused.json()).error.message).toBe(
    "Volume 'scratch' cannot be expanded: its storage class 'standard' (Local disk) does not allow volume expansion",
  );
  expect(pvc('scratch').spec.resources.requests.storage).toBe('1Gi');
});

const SCREENSHOTS = path.join(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

test('the Storage tab at 1440×900 in English and Chinese', async ({
  newPage,
}) => {
  test.setTimeout(120_000);
  for (const language of ['en', 'zh'] as const) {
    const page = await newPage('alice', {
      viewport: { width: 1440, height: 900 },
      locale: language === 'zh' ? 'zh-CN' : 'en-US',
    });
    // The app's language API reads the language chosen in Settings from here.
    await page.evaluate(l => localStorage.setItem('language', l), language);
    await page.goto(`${TAB}?environment=test`);
    await expect(
      page.getByRole('table', {
        name: language === 'en' ? 'Volumes in Test' : 'Test 的存储卷',
      }),
    ).toBeVisible({ timeout: 30_000 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, `storage-volumes.${language}.png`),
    });
    await page.context().close();
  }
});
