import path from 'path';
import { Page } from '@playwright/test';
import { ConsoleEntry, expect, test } from './fixtures';

/**
 * The Traffic tab end to end: the real backend with the real `nginx -t`, Chromium. One
 * story, in order, on payment-gateway (owned by alice's payments-team), whose test
 * environment the Nginx cluster edge-test serves (app-config.yaml).
 */
test.describe.configure({ mode: 'serial' });

const TAB = '/catalog/default/component/payment-gateway/traffic';

/** The editor of the test site, loaded. */
async function openEditor(page: Page) {
  await page.goto(`${TAB}/site?environment=test`);
  await expect(
    page.getByRole('group', { name: 'Manual members of app' }),
  ).toBeVisible({ timeout: 30_000 });
}

/** Adds a manual member to the upstream `app` and opens the publish dialog. */
async function addMember(page: Page, address: string, port: string) {
  const members = page.getByRole('group', { name: 'Manual members of app' });
  await members.getByRole('button', { name: 'Add member' }).click();
  await members.getByRole('textbox', { name: 'Address' }).last().fill(address);
  await members.getByRole('spinbutton', { name: 'Port' }).last().fill(port);
}

/** Sends `percent` % of the upstream `app`'s requests to the service's canary pods. */
async function setCanaryShare(page: Page, percent: string) {
  const canary = page.getByRole('group', { name: 'Canary of app' });
  await canary.getByRole('button', { name: /Canary route/ }).click();
  await page.getByRole('option', { name: 'Share of requests' }).click();
  await canary.getByRole('spinbutton', { name: 'Share (%)' }).fill(percent);
}

/** Publishes what the editor holds with a message; returns the dialog. */
async function publish(page: Page, message: string) {
  await page.getByRole('button', { name: 'Publish…' }).click();
  const dialog = page.getByRole('dialog', {
    name: 'Publish the site in Test?',
  });
  await dialog.getByRole('textbox', { name: /Message/ }).fill(message);
  await dialog.getByRole('button', { name: 'Publish', exact: true }).click();
  return dialog;
}

/**
 * The browser logs each refused publish (400) as a failed resource; those two are
 * what this test provokes, so they are taken out of what the hygiene check reads.
 */
function dropExpectedRefusals(entries: ConsoleEntry[]) {
  const expected = (e: ConsoleEntry) =>
    e.kind === 'error' &&
    /status of 400/.test(e.text) &&
    /\/api\/k2-traffic\/services\/default\/payment-gateway\/environments\/test\/site\/versions/.test(
      e.text,
    );
  const kept = entries.filter(e => !expected(e));
  expect(entries.length - kept.length).toBeLessThanOrEqual(2);
  entries.splice(0, entries.length, ...kept);
}

test('an owner publishes a VM member and a 10 % canary, compares versions and rolls back; refusals keep the published version', async ({
  newPage,
  consoleEntries,
}) => {
  test.setTimeout(240_000);
  const alice = await newPage('alice');

  await openEditor(alice);
  await addMember(alice, '10.20.0.7', '8080');
  await publish(alice, 'First site');
  await expect(alice.getByText(/^Version #\d+ published\.$/)).toBeVisible();
  const first = Number(
    (await alice.getByText(/^Version #\d+ published\.$/).textContent())!.match(
      /#(\d+)/,
    )![1],
  );

  await addMember(alice, '10.20.0.9', '8081');
  await setCanaryShare(alice, '10');
  await alice.getByRole('button', { name: 'Publish…' }).click();
  const preview = alice.getByRole('table', { name: 'Site changes' });
  await expect(preview).toContainText('members[10.20.0.9:8081]');
  await expect(preview).toContainText('upstreams[app].canary: 10%');
  await alice.getByRole('button', { name: 'Cancel' }).click();
  await publish(alice, 'Add VM 10.20.0.9 and a 10 % canary');
  await expect(
    alice.getByText(`Version #${first + 1} published.`),
  ).toBeVisible();

  // `x; return 200` is refused on its field; nothing is published.
  await addMember(alice, 'x; return 200', '80');
  await publish(alice, 'Injection');
  const bad = alice.getByRole('textbox', { name: 'Address' }).last();
  await expect(bad).toHaveAttribute('aria-invalid', 'true');
  await expect(
    alice.getByText(/Not published: 1 field was refused/),
  ).toBeVisible();

  // A member nginx cannot resolve fails nginx -t: refused in the dialog.
  await bad.fill('nowhere.invalid');
  const dialog = await publish(alice, 'Unresolvable member');
  await expect(dialog.getByText(/host not found/)).toBeVisible({
    timeout: 30_000,
  });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  dropExpectedRefusals(consoleEntries);

  // Versions: the last publish is the published one; compare it with the first.
  await alice.goto(`${TAB}/versions?environment=test`);
  const versions = alice.getByRole('table', { name: 'Test site versions' });
  await expect(
    versions.getByRole('button', { name: `Roll back to #${first + 1}` }),
  ).toBeDisabled();
  await versions
    .getByRole('checkbox', { name: `Select version #${first}` })
    .check();
  await versions
    .getByRole('checkbox', { name: `Select version #${first + 1}` })
    .check();
  await alice.getByRole('button', { name: 'Compare selected' }).click();
  const drawer = alice.getByRole('dialog', {
    name: `Version #${first} → #${first + 1}`,
  });
  const rendered = drawer.getByRole('table', {
    name: 'Rendered config differences',
  });
  await expect(rendered).toContainText('10.20.0.9:8081');
  // The canary: its upstream, its member file and the 10 % split.
  await expect(rendered).toContainText(/split_clients .*_route \{/);
  await expect(rendered).toContainText(
    /10% k2_test_payment_gateway_app_\w+_canary;/,
  );
  await expect(rendered).toContainText('app.canary.conf');
  await drawer.getByRole('button', { name: 'Close' }).click();

  await versions
    .getByRole('button', { name: `Roll back to #${first}` })
    .click();
  await alice
    .getByRole('dialog', {
      name: `Roll back the Test site to version #${first}?`,
    })
    .getByRole('button', { name: `Roll back to #${first}` })
    .click();
  await expect(versions.getByText(`rollback to #${first}`)).toBeVisible();

  // The overview shows the rolled-back site: the VM member and the canary are gone.
  await alice.goto(TAB);
  const card = alice.getByRole('region', { name: 'Test environment' });
  await expect(card.getByText(`Version #${first + 2}`)).toBeVisible();
  await expect(card.getByText('10.20.0.7:8080')).toBeVisible();
  await expect(card.getByText('10.20.0.9:8081')).toHaveCount(0);
  await expect(
    card.getByRole('table', { name: 'Upstreams' }).getByRole('row', {
      name: /^app .* Off$/,
    }),
  ).toBeVisible();
});

const SCREENSHOTS = path.join(
  __dirname,
  '../../../.k2/test-results/screenshots',
);

/** What shows each sub-view has loaded, by its accessible name in each language. */
const VIEWS = [
  {
    name: 'traffic-overview',
    path: '',
    loaded: { en: 'Nginx hosts of edge-test', zh: 'edge-test 的 Nginx 主机' },
    role: 'table' as const,
  },
  {
    name: 'traffic-site',
    path: '/site?environment=test',
    loaded: { en: 'Manual members of app', zh: 'app 的手动成员' },
    role: 'group' as const,
  },
  {
    name: 'traffic-versions',
    path: '/versions?environment=test',
    loaded: { en: 'Test site versions', zh: 'Test 站点版本' },
    role: 'table' as const,
  },
];

test('the Traffic tab at 1440×900 in English and Chinese', async ({
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
        page.getByRole(view.role, { name: view.loaded[language] }),
      ).toBeVisible({ timeout: 30_000 });
      await page.screenshot({
        path: path.join(SCREENSHOTS, `${view.name}.${language}.png`),
      });
    }
    await page.context().close();
  }
});
