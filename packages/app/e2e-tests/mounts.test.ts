import path from 'path';
import { Locator, Page } from '@playwright/test';
import { expect, pushImage, test } from './fixtures';
import { kubectl as k2kubectl } from './k2';
import { LANGUAGES, Words } from './words';

/**
 * Issue 17's acceptance, as an owner does it through the UI: a volume from the Storage
 * tab and a config file from the Config tab, mounted by a release from the Deploy tab,
 * a config change released as version 2 and rolled back to version 1, and the mounted
 * volume refused deletion naming the release. One story, in order, on order-api
 * (owned by daniel's orders-team; namespace order-management in the test cluster),
 * which no other file changes.
 */
test.describe.configure({ mode: 'serial' });

// K2 releases only images the registry holds.
test.beforeAll(() =>
  pushImage('registry.northwind.example/order-management/order-api:3.0.0'),
);

const SERVICE = 'order-api';
const NAMESPACE = 'order-management';
const OWNER = 'daniel';
const PAGE = `/catalog/default/component/${SERVICE}`;
const FILE = 'application.yaml';
const CONFIG_PATH = `/app/config/${FILE}`;
const VOLUME = 'orders';
const VOLUME_PATH = '/var/lib/orders';

const FIRST = 'server:\n  port: 8080\norders:\n  retention: 30d\n';
// Line 4 has a second `key:` on it, which YAML does not allow there.
const BROKEN = 'server:\n  port: 8080\norders:\n  retention: days: 90\n';
const SECOND = 'server:\n  port: 8080\norders:\n  retention: 90d\n';

const SCREENSHOTS = path.join(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

const kubectl = (...args: string[]) => k2kubectl('test', NAMESPACE, ...args);

interface Deployment {
  spec: {
    template: {
      spec: {
        volumes?: Array<{
          name: string;
          persistentVolumeClaim?: { claimName: string };
          configMap?: { name: string; items?: Array<{ key: string }> };
        }>;
        containers: Array<{
          volumeMounts?: Array<{
            name: string;
            mountPath: string;
            subPath?: string;
            readOnly?: boolean;
          }>;
        }>;
      };
    };
  };
}

/** The service's Deployment in the test cluster, as kubectl shows it. */
function deployment(): Deployment {
  return JSON.parse(kubectl('get', 'deployment', SERVICE, '-o', 'json'));
}

/**
 * What the Deployment mounts, as kubectl shows it: the claim of the volume mounted at
 * {@link VOLUME_PATH} and the ConfigMap of the file mounted at {@link CONFIG_PATH}.
 */
function mounted() {
  const pod = deployment().spec.template.spec;
  const byName = new Map((pod.volumes ?? []).map(v => [v.name, v]));
  const mounts = pod.containers[0].volumeMounts ?? [];
  const at = (mountPath: string) => {
    const mount = mounts.find(m => m.mountPath === mountPath);
    return mount && { mount, volume: byName.get(mount.name) };
  };
  const data = at(VOLUME_PATH);
  const config = at(CONFIG_PATH);
  return {
    claim: data?.volume?.persistentVolumeClaim?.claimName,
    configMap: config?.volume?.configMap?.name,
    configKeys: config?.volume?.configMap?.items?.map(i => i.key),
    configReadOnly: config?.mount.readOnly,
  };
}

/** The immutable ConfigMaps holding the file's versions: content → object name. */
function configObjects(): Map<string, string> {
  const items = JSON.parse(
    kubectl(
      'get',
      'configmaps',
      '-l',
      `k2.io/service=${SERVICE},k2.io/config-file=${FILE}`,
      '-o',
      'json',
    ),
  ).items as Array<{
    metadata: { name: string };
    immutable?: boolean;
    data: Record<string, string>;
  }>;
  for (const item of items) expect(item.immutable).toBe(true);
  return new Map(items.map(i => [i.data[FILE], i.metadata.name]));
}

/**
 * Signs in as the owner through the sign-in page's "Someone else" form: the demo
 * buttons are for other personas, and any catalog user may sign in by name.
 */
async function signInAsOwner(page: Page) {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Catalog user name' }).fill(OWNER);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText(/Owned Components \(\d+\)/)).toBeVisible({
    timeout: 60_000,
  });
}

/** Replaces the text of the code editor named `label`, as a paste would. */
async function replaceText(page: Page, label: string, text: string) {
  await page.getByRole('textbox', { name: label }).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

const actions = (page: Page, say: Words) =>
  page.getByRole('group', {
    name: say.deploy('overview.actions', { environment: 'Test' }),
  });

/** The Deploy tab's overview, where the Test environment's actions are. */
async function openDeploy(page: Page, say: Words = LANGUAGES[0]) {
  await page.goto(`${PAGE}/deploy`);
  await expect(actions(page, say)).toBeVisible({ timeout: 60_000 });
}

/** Releases so far in Test (the story numbers its own from there). */
async function released(page: Page) {
  const link = page
    .getByRole('region', { name: 'Test environment' })
    .getByRole('button', { name: /^History \(\d+\)$/ });
  await expect(link).toBeVisible();
  return Number((await link.innerText()).match(/\d+/)![0]);
}

/** Opens the Release dialog of Test; returns it and its mounts section. */
async function openRelease(page: Page, say: Words = LANGUAGES[0]) {
  await actions(page, say)
    .getByRole('button', { name: say.deploy('overview.release'), exact: true })
    .click();
  const dialog = page.getByRole('dialog', {
    name: say.deploy('releaseDialog.title', { environment: 'Test' }),
  });
  const mounts = dialog.getByRole('group', {
    name: say.deploy('mounts.title'),
  });
  await expect(mounts).toBeVisible();
  return { dialog, mounts };
}

/** Previews what the dialog would release, then releases it. */
async function previewAndRelease(dialog: Locator) {
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByRole('status')).toBeVisible();
  await dialog.getByRole('button', { name: 'Release' }).click();
  await expect(dialog).toBeHidden();
}

/** The Test history, through the link on its overview card. */
async function showHistory(page: Page) {
  await page
    .getByRole('region', { name: 'Test environment' })
    .getByRole('button', { name: /^History \(\d+\)$/ })
    .click();
  await expect(
    page.getByRole('region', { name: 'Test history' }),
  ).toBeVisible();
}

/** A row of the Test history by release number. */
const historyRow = (page: Page, n: number) =>
  page
    .getByRole('region', { name: 'Test history' })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: String(n), exact: true }) });

test('an owner mounts a volume and a config file, releases config version 2, rolls back to version 1, and cannot delete the mounted volume', async ({
  newPage,
  consoleEntries,
}) => {
  test.setTimeout(420_000);
  const owner = await newPage();
  await signInAsOwner(owner);

  // Storage: a 5 Gi NFS volume in test.
  await owner.goto(`${PAGE}/storage?environment=test`);
  await owner.getByRole('button', { name: 'New volume' }).click();
  const create = owner.getByRole('dialog', { name: 'New volume in Test' });
  await create.getByRole('textbox', { name: 'Name' }).fill(VOLUME);
  await create.getByRole('button', { name: /Storage class/ }).click();
  await owner.getByRole('option', { name: /^NFS \(nfs\)/ }).click();
  await create.getByRole('textbox', { name: 'Size' }).fill('5');
  await create.getByRole('button', { name: /Access mode/ }).click();
  await owner.getByRole('option', { name: /^ReadWriteMany/ }).click();
  await create.getByRole('button', { name: 'Create' }).click();
  await expect(create).toBeHidden();
  const volumeRow = owner
    .getByRole('table', { name: 'Volumes in Test' })
    .getByRole('row', { name: new RegExp(`^${VOLUME}`) });
  await expect(volumeRow).toContainText('test Bound 5Gi');

  // Config: application.yaml, version 1.
  await owner.goto(`${PAGE}/config?environment=test`);
  await owner.getByRole('button', { name: 'New config file' }).click();
  const newFile = owner.getByRole('dialog', {
    name: 'New config file in Test',
  });
  await newFile.getByRole('textbox', { name: 'File name' }).fill(FILE);
  await replaceText(owner, `${FILE} content`, FIRST);
  await newFile.getByRole('textbox', { name: 'Message' }).fill('Orders config');
  await newFile.getByRole('button', { name: 'Create' }).click();
  await expect(
    owner.getByText(new RegExp(`^Version #1, saved by ${OWNER}`)),
  ).toBeVisible({ timeout: 30_000 });

  // Deploy: the first release mounting both, picked in the dialog's mounts section.
  await openDeploy(owner);
  const n = await released(owner);
  const first = await openRelease(owner);
  await first.dialog.getByLabel('Image').fill('3.0.0');
  await first.mounts.getByRole('button', { name: 'Add volume' }).click();
  await first.mounts
    .getByRole('group', { name: 'Volume new volume' })
    .getByRole('button', { name: /Volume/ })
    .click();
  await owner.getByRole('option', { name: VOLUME, exact: true }).click();
  await first.mounts
    .getByRole('group', { name: `Volume ${VOLUME}` })
    .getByRole('textbox', { name: 'Mount path' })
    .fill(VOLUME_PATH);
  await first.mounts.getByRole('button', { name: 'Add config file' }).click();
  await first.mounts
    .getByRole('group', { name: 'Config file new config file' })
    .getByRole('button', { name: /Config file/ })
    .click();
  await owner.getByRole('option', { name: FILE, exact: true }).click();
  const firstConfig = first.mounts.getByRole('group', {
    name: `Config file ${FILE}`,
  });
  // The file says where it belongs; the latest version applies.
  await expect(
    firstConfig.getByRole('textbox', { name: 'File path in the container' }),
  ).toHaveValue(CONFIG_PATH);
  await expect(firstConfig).toContainText('v1 — latest version');
  await first.dialog.getByLabel('Message').fill('e2e: mount orders and config');
  await previewAndRelease(first.dialog);
  await showHistory(owner);
  await expect(historyRow(owner, n + 1)).toContainText('Succeeded', {
    timeout: 120_000,
  });
  await expect(historyRow(owner, n + 1)).toContainText(`${FILE} v1`);

  // kubectl: the PVC is Bound, and the Deployment mounts it and version 1's
  // immutable ConfigMap, whose one key is projected read-only as the file.
  const pvc = JSON.parse(
    kubectl('get', 'pvc', `${SERVICE}-${VOLUME}`, '-o', 'json'),
  );
  expect(pvc.status.phase).toBe('Bound');
  expect(pvc.status.capacity.storage).toBe('5Gi');
  const version1 = configObjects().get(FIRST)!;
  expect(version1).toMatch(new RegExp(`^${SERVICE}-application-yaml-\\w{10}$`));
  expect(mounted()).toEqual({
    claim: `${SERVICE}-${VOLUME}`,
    configMap: version1,
    configKeys: [FILE],
    configReadOnly: true,
  });

  // Config: a YAML error is shown on its line and cannot be saved; fixed, it is
  // version 2.
  await owner.goto(`${PAGE}/config?environment=test&file=${FILE}`);
  await expect(
    owner.getByText(new RegExp(`^Version #1, saved by ${OWNER}`)),
  ).toBeVisible({ timeout: 30_000 });
  await replaceText(owner, `${FILE} content`, BROKEN);
  await expect(owner.getByRole('alert')).toHaveText(/^Line 4, column \d+: /);
  await expect(owner.locator('.cm-lint-marker-error')).toHaveCount(1);
  const save = owner.getByRole('button', { name: 'Save' });
  await expect(save).toBeDisabled();
  await replaceText(owner, `${FILE} content`, SECOND);
  await expect(owner.getByRole('alert')).toHaveCount(0);
  await owner.getByRole('textbox', { name: 'Message' }).fill('Keep 90 days');
  await save.click();
  await expect(owner.getByRole('status')).toHaveText('Saved as version #2.');
  // The error never became a version: only versions 1 and 2 exist.
  const objects = configObjects();
  expect([...objects.keys()].sort()).toEqual([FIRST, SECOND].sort());
  const version2 = objects.get(SECOND)!;
  expect(version2).not.toBe(version1);

  // Deploy: the dialog starts from the running mounts (version 1); version 2 is picked
  // and the preview names the change.
  await openDeploy(owner);
  const second = await openRelease(owner);
  const secondConfig = second.mounts.getByRole('group', {
    name: `Config file ${FILE}`,
  });
  await expect(secondConfig).toContainText(`v1 — running release #${n + 1}`);
  await secondConfig.getByRole('button', { name: /Version/ }).click();
  await owner.getByRole('option', { name: 'v2', exact: true }).click();
  await second.dialog.getByLabel('Image').fill('3.0.0');
  await second.dialog.getByLabel('Message').fill('e2e: config version 2');
  await second.dialog.getByRole('button', { name: 'Preview' }).click();
  const change = second.dialog
    .getByRole('table', { name: 'Changes against the running release' })
    .getByRole('row', { name: /config/ });
  await expect(change).toContainText(`${FILE} v1`);
  await expect(change).toContainText(`${FILE} v2`);
  await second.dialog.getByRole('button', { name: 'Release' }).click();
  await expect(second.dialog).toBeHidden();
  await showHistory(owner);
  await expect(historyRow(owner, n + 2)).toContainText('Succeeded', {
    timeout: 120_000,
  });
  await expect(historyRow(owner, n + 2)).toContainText(`${FILE} v2`);
  expect(mounted().configMap).toBe(version2);

  // History: roll back to the first release, which mounts version 1's ConfigMap again.
  await historyRow(owner, n + 1)
    .getByRole('button', { name: `Roll back to #${n + 1}` })
    .click();
  await owner
    .getByRole('dialog')
    .getByRole('button', { name: 'Roll back' })
    .click();
  await expect(historyRow(owner, n + 3)).toContainText('Rollback', {
    timeout: 10_000,
  });
  await expect(historyRow(owner, n + 3)).toContainText('Succeeded', {
    timeout: 120_000,
  });
  await expect(historyRow(owner, n + 3)).toContainText(`${FILE} v1`);
  expect(mounted()).toEqual({
    claim: `${SERVICE}-${VOLUME}`,
    configMap: version1,
    configKeys: [FILE],
    configReadOnly: true,
  });
  expect(configObjects().get(FIRST)).toBe(version1);

  // Storage: the mounted volume cannot be deleted; the refusal names the release.
  await owner.goto(`${PAGE}/storage?environment=test`);
  await expect(volumeRow).toContainText(`release #${n + 3} (running)`);
  await volumeRow.getByRole('button', { name: `Delete ${VOLUME}` }).click();
  const remove = owner.getByRole('dialog', {
    name: `Delete ${VOLUME} in Test`,
  });
  await remove
    .getByRole('textbox', { name: `Type ${VOLUME} to confirm` })
    .fill(VOLUME);
  await remove.getByRole('button', { name: 'Delete' }).click();
  await expect(remove).toContainText(
    `Volume '${VOLUME}' is mounted by release #${n + 3} in test`,
  );
  // The browser logs the refusal's 409, which is this step's expected answer: taken
  // out of what the hygiene check reads, and only that one.
  const refusal = consoleEntries.findIndex(
    e =>
      e.kind === 'error' &&
      e.text.includes('status of 409') &&
      e.text.includes(
        `/api/k2-storage/services/default/${SERVICE}/environments/test/volumes/${VOLUME}`,
      ),
  );
  expect(refusal).toBeGreaterThanOrEqual(0);
  consoleEntries.splice(refusal, 1);
  expect(
    JSON.parse(kubectl('get', 'pvc', `${SERVICE}-${VOLUME}`, '-o', 'json'))
      .status.phase,
  ).toBe('Bound');
});

test('the Release dialog’s mounts section and the history’s config versions at 1440×900 in English and Chinese', async ({
  newPage,
}) => {
  test.setTimeout(180_000);
  for (const say of LANGUAGES) {
    const page = await newPage(undefined, {
      viewport: { width: 1440, height: 900 },
      locale: say.language === 'zh' ? 'zh-CN' : 'en-US',
    });
    await signInAsOwner(page);
    // The app's language API reads the language chosen in Settings from here.
    await page.evaluate(l => localStorage.setItem('language', l), say.language);
    await openDeploy(page, say);

    // The dialog starts from what the running release mounts.
    const { dialog, mounts } = await openRelease(page, say);
    await expect(
      mounts.getByRole('group', {
        name: say.deploy('mounts.configRow', { name: FILE }),
      }),
    ).toBeVisible();
    await mounts.scrollIntoViewIfNeeded();
    await page.screenshot({
      path: path.join(SCREENSHOTS, `release-mounts.${say.language}.png`),
    });
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    await page.goto(`${PAGE}/deploy/history?environment=test`);
    const history = page.getByRole('region', {
      name: say.deploy('history.label', { environment: 'Test' }),
    });
    await expect(history).toContainText(`${FILE} v2`, { timeout: 60_000 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, `history-mounts.${say.language}.png`),
    });
    await page.context().close();
  }
});
