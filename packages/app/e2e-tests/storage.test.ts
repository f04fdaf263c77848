import path from 'path';
import { ConsoleEntry, expect, pushImage, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';

/**
 * The Storage tab end to end: the real backend creating PVCs in the sandbox cluster,
 * which provisions and grows them as a real one does, and the Deploy backend mounting
 * one through a release. One story, in order, on cart-service (owned by bob's
 * storefront-team; namespace storefront in the test cluster), which no other file
 * changes.
 */
test.describe.configure({ mode: 'serial' });

// K2 releases only images the registry holds.
test.beforeAll(() =>
  pushImage('registry.northwind.example/storefront/cart-service:2.4.0'),
);

const SERVICE = 'cart-service';
const TAB = `/catalog/default/component/${SERVICE}/storage`;
const NAMESPACE = 'storefront';
const OWNER = 'bob';

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
  const owner = await newPage(OWNER);
  await owner.goto(`${TAB}?environment=test`);
  await owner.getByRole('button', { name: 'New volume' }).click();
  const dialog = owner.getByRole('dialog', { name: 'New volume in Test' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('data');
  await dialog.getByRole('button', { name: /Storage class/ }).click();
  await owner.getByRole('option', { name: /^NFS \(nfs\)/ }).click();
  await dialog.getByRole('textbox', { name: 'Size' }).fill('5');
  await dialog.getByRole('button', { name: /Access mode/ }).click();
  await owner.getByRole('option', { name: /^ReadWriteMany/ }).click();
  await expect(dialog).toContainText(
    `Creates PVC ${SERVICE}-data in namespace ${NAMESPACE} of test`,
  );
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const table = owner.getByRole('table', { name: 'Volumes in Test' });
  const row = table.getByRole('row', { name: /^data/ });
  await expect(row).toContainText('test Bound 5Gi');
  await expect(row).toContainText('ReadWriteMany');
  await expect(row).toContainText('No release');
  const created = pvc('data');
  expect(created.status.phase).toBe('Bound');
  expect(created.status.capacity?.storage).toBe('5Gi');
  expect(created.spec.storageClassName).toBe('nfs');

  await row.getByRole('button', { name: 'Expand data' }).click();
  const expand = owner.getByRole('dialog', { name: 'Expand data in Test' });
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
  const owner = await newPage(OWNER);
  await owner.goto(`${TAB}?environment=test`);
  await owner.getByRole('button', { name: 'New volume' }).click();
  const dialog = owner.getByRole('dialog', { name: 'New volume in Test' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill('scratch');
  await dialog.getByRole('button', { name: /Storage class/ }).click();
  await owner
    .getByRole('option', { name: /^Local disk \(standard\).*cannot expand/ })
    .click();
  await dialog.getByRole('textbox', { name: 'Size' }).fill('1');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  const row = owner
    .getByRole('table', { name: 'Volumes in Test' })
    .getByRole('row', { name: /^scratch/ });
  await expect(row).toContainText('test Bound 1Gi');
  const expandButton = row.getByRole('button', { name: 'Expand scratch' });
  await expect(expandButton).toBeDisabled();
  await expandButton.locator('..').hover();
  await expect(
    owner.getByRole('tooltip', {
      name: 'Its storage class standard does not allow volume expansion',
    }),
  ).toBeVisible();

  const token = await tokenFor(request, OWNER);
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

/**
 * The browser logs the refused delete (409) as a failed resource; that one is what the
 * test provokes, so it is taken out of what the hygiene check reads.
 */
function dropExpectedRefusal(entries: ConsoleEntry[]) {
  const expected = (e: ConsoleEntry) =>
    e.kind === 'error' &&
    /status of 409/.test(e.text) &&
    /\/api\/k2-storage\/services\/default\/cart-service\/environments\/test\/volumes\/data/.test(
      e.text,
    );
  const kept = entries.filter(e => !expected(e));
  expect(entries.length - kept.length).toBe(1);
  entries.splice(0, entries.length, ...kept);
}

test('a release mounts the volume: the table names it and shows used bytes, and deleting is refused naming the release', async ({
  newPage,
  request,
  consoleEntries,
}) => {
  test.setTimeout(240_000);
  const headers = { authorization: `Bearer ${await tokenFor(request, OWNER)}` };
  const created = await request.post(
    `${BACKEND}/api/k2-deploy/services/default/${SERVICE}/releases`,
    {
      headers,
      data: {
        environment: 'test',
        image: '2.4.0',
        volumes: [
          { volume: 'data', mountPath: '/var/lib/cart', readOnly: false },
        ],
        message: 'e2e: mount the data volume',
      },
    },
  );
  expect(created.status()).toBe(201);
  const release = (await created.json()) as { id: string; number: number };
  await expect
    .poll(
      async () =>
        (
          await (
            await request.get(
              `${BACKEND}/api/k2-deploy/releases/${release.id}`,
              {
                headers,
              },
            )
          ).json()
        ).status,
      { timeout: 120_000, intervals: [1000] },
    )
    .toBe('succeeded');
  // The Deployment mounts the volume's PVC.
  const deployment = JSON.parse(
    kubectl('test', NAMESPACE, 'get', 'deployment', SERVICE, '-o', 'json'),
  );
  expect(deployment.spec.template.spec.volumes).toContainEqual(
    expect.objectContaining({
      persistentVolumeClaim: { claimName: `${SERVICE}-data` },
    }),
  );

  const owner = await newPage(OWNER);
  await owner.goto(`${TAB}?environment=test`);
  const row = owner
    .getByRole('table', { name: 'Volumes in Test' })
    .getByRole('row', { name: /^data/ });
  await expect(row).toContainText(`release #${release.number} (running)`);
  // The kubelet of the pod's node reports the used bytes.
  await expect(row.getByRole('progressbar')).toHaveAccessibleName(
    /^[\d.]+ (B|KiB|MiB|GiB) of 8 GiB$/,
  );

  await row.getByRole('button', { name: 'Delete data' }).click();
  const dialog = owner.getByRole('dialog', { name: 'Delete data in Test' });
  await dialog
    .getByRole('textbox', { name: 'Type data to confirm' })
    .fill('data');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toContainText(
    `Volume 'data' is mounted by release #${release.number} in test`,
  );
  await expect(dialog).toBeVisible();
  expect(pvc('data').status.phase).toBe('Bound');
  dropExpectedRefusal(consoleEntries);
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
    const page = await newPage(OWNER, {
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
