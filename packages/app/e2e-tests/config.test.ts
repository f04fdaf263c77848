import path from 'path';
import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { kubectl } from './k2';

/**
 * The Config tab end to end: the real backend writing immutable ConfigMaps to the
 * sandbox cluster, Chromium typing into CodeMirror. One story, in order, on
 * payment-gateway (owned by alice's payments-team; namespace payments-core in the
 * test cluster).
 */
test.describe.configure({ mode: 'serial' });

const TAB = '/catalog/default/component/payment-gateway/config';
const FILE = 'application.yaml';

const FIRST = 'server:\n  port: 8080\nlogging:\n  level: info\n';
// Line 4 has a second `key:` on it, which YAML does not allow there.
const BROKEN = 'server:\n  port: 8080\nlogging:\n  level: debug: info\n';
const SECOND = 'server:\n  port: 8080\nlogging:\n  level: debug\n';

/** Replaces the text of the code editor named `label`, as a paste would. */
async function replaceText(page: Page, label: string, text: string) {
  const editor = page.getByRole('textbox', { name: label });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** The editor's text, from the lines CodeMirror draws (an empty one holds a `<br>`). */
async function editorText(page: Page, label: string) {
  return (
    await page
      .getByRole('textbox', { name: label })
      .locator('.cm-line')
      .allTextContents()
  ).join('\n');
}

test('an owner creates application.yaml in test, is stopped by a YAML error on its line, saves version 2 and compares; kubectl shows the immutable ConfigMaps', async ({
  newPage,
}) => {
  test.setTimeout(240_000);
  const alice = await newPage('alice');
  await alice.goto(`${TAB}?environment=test`);
  await alice.getByRole('button', { name: 'New config file' }).click();
  const dialog = alice.getByRole('dialog', {
    name: 'New config file in Test',
  });
  await dialog.getByRole('textbox', { name: 'File name' }).fill(FILE);
  await expect(dialog.getByRole('button', { name: /YAML/ })).toBeVisible();
  await replaceText(alice, `${FILE} content`, FIRST);
  await dialog.getByRole('textbox', { name: 'Message' }).fill('First config');
  await dialog.getByRole('button', { name: 'Create' }).click();

  // The file opens on version 1.
  await expect(alice.getByText(/^Version #1, saved by alice/)).toBeVisible({
    timeout: 30_000,
  });
  await expect.poll(() => editorText(alice, `${FILE} content`)).toBe(FIRST);

  // A YAML error: said under the editor naming its line, marked in the gutter, and
  // Save is disabled with the reason.
  await replaceText(alice, `${FILE} content`, BROKEN);
  await expect(alice.getByRole('alert')).toHaveText(
    'Line 4, column 10: Nested mappings are not allowed in compact mappings',
  );
  await expect(alice.locator('.cm-lint-marker-error')).toHaveCount(1);
  await expect(
    alice.getByText('Fix the error on line 4 to save'),
  ).toBeVisible();
  const save = alice.getByRole('button', { name: 'Save' });
  await expect(save).toBeDisabled();

  await replaceText(alice, `${FILE} content`, SECOND);
  await expect(alice.getByRole('alert')).toHaveCount(0);
  await alice.getByRole('textbox', { name: 'Message' }).fill('Debug logging');
  await expect(save).toBeEnabled();
  await save.click();
  await expect(alice.getByRole('status')).toHaveText('Saved as version #2.');
  await expect(alice.getByText(/^Version #2, saved by alice/)).toBeVisible();

  // Compare 1 and 2.
  const versions = alice.getByRole('table', { name: `Versions of ${FILE}` });
  await versions.getByRole('checkbox', { name: 'Select version #1' }).check();
  await versions.getByRole('checkbox', { name: 'Select version #2' }).check();
  await alice.getByRole('button', { name: 'Compare selected' }).click();
  const drawer = alice.getByRole('dialog', {
    name: `${FILE}: version #1 → #2`,
  });
  const diff = drawer.getByRole('table', {
    name: 'Differences between the versions',
  });
  await expect(diff).toContainText('level: info');
  await expect(diff).toContainText('level: debug');
  await drawer.getByRole('button', { name: 'Close' }).click();

  // Each version is its own immutable ConfigMap, named by its content, with the one
  // data key the file's name.
  const objects = JSON.parse(
    kubectl(
      'test',
      'payments-core',
      'get',
      'configmaps',
      '-l',
      `k2.io/config-file=${FILE}`,
      '-o',
      'json',
    ),
  ).items as Array<{
    metadata: { name: string; labels: Record<string, string> };
    immutable?: boolean;
    data: Record<string, string>;
  }>;
  expect(objects.map(o => o.data[FILE]).sort()).toEqual([FIRST, SECOND].sort());
  for (const object of objects) {
    expect(object.immutable).toBe(true);
    expect(Object.keys(object.data)).toEqual([FILE]);
    expect(object.metadata.name).toBe(
      `payment-gateway-application-yaml-${object.metadata.labels['k2.io/config-hash']}`,
    );
  }
});

const SCREENSHOTS = path.join(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

/** What shows each view has loaded, by its accessible name in each language. */
const VIEWS = [
  {
    name: 'config-files',
    path: '?environment=test',
    loaded: { en: 'Config files in Test', zh: 'Test 的配置文件' },
  },
  {
    name: 'config-file',
    path: `?environment=test&file=${FILE}`,
    loaded: { en: `Versions of ${FILE}`, zh: `${FILE} 的版本` },
  },
];

/** Names of what the screenshots open, in each language. */
const WORDS = {
  select: {
    en: (n: number) => `Select version #${n}`,
    zh: (n: number) => `选择版本 #${n}`,
  },
  compare: { en: 'Compare selected', zh: '对比所选版本' },
  diff: { en: 'Differences between the versions', zh: '版本之间的差异' },
  create: { en: 'New config file', zh: '新建配置文件' },
  fileName: { en: 'File name', zh: '文件名' },
  close: { en: 'Close', zh: '关闭' },
  cancel: { en: 'Cancel', zh: '取消' },
};

test('the Config tab at 1440×900 in English and Chinese', async ({
  newPage,
}) => {
  test.setTimeout(180_000);
  for (const language of ['en', 'zh'] as const) {
    const page = await newPage('alice', {
      viewport: { width: 1440, height: 900 },
      locale: language === 'zh' ? 'zh-CN' : 'en-US',
    });
    // The app's language API reads the language chosen in Settings from here.
    await page.evaluate(l => localStorage.setItem('language', l), language);
    for (const view of VIEWS) {
      await page.goto(`${TAB}${view.path}`);
      await expect(
        page.getByRole('table', { name: view.loaded[language] }),
      ).toBeVisible({ timeout: 30_000 });
      await page.screenshot({
        path: path.join(SCREENSHOTS, `${view.name}.${language}.png`),
      });
    }
    // The file view's comparison of versions 1 and 2, in its drawer.
    for (const number of [1, 2]) {
      await page
        .getByRole('checkbox', { name: WORDS.select[language](number) })
        .check();
    }
    await page.getByRole('button', { name: WORDS.compare[language] }).click();
    await expect(
      page.getByRole('table', { name: WORDS.diff[language] }),
    ).toBeVisible();
    // The drawer has slid in when its close button is wholly on screen.
    await expect(
      page.getByRole('button', { name: WORDS.close[language] }),
    ).toBeInViewport({ ratio: 1 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, `config-compare.${language}.png`),
    });
    await page.keyboard.press('Escape');
    // The create dialog with a name typed, from the files view.
    await page.goto(`${TAB}?environment=test`);
    await page.getByRole('button', { name: WORDS.create[language] }).click();
    await page
      .getByRole('textbox', { name: WORDS.fileName[language] })
      .fill('settings.json');
    await expect(
      page.getByRole('button', { name: WORDS.cancel[language] }),
    ).toBeInViewport({ ratio: 1 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, `config-create.${language}.png`),
    });
    await page.context().close();
  }
});
