import path from 'path';
import { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';
import { LANGUAGES, Words } from './words';

/**
 * The web shell and debug containers end to end (issue 22's acceptance): the real
 * backend, the sandbox clusters, Chromium. alice opens a shell into a payment-gateway
 * pod in test, runs `ls` and `env` and closes it; the Activity view records the
 * session with its commands (and shows platform admins the session list); bob (another
 * team) has no Shell button and the API refuses him; Production has none. A
 * crash-looping pod of chargeback-service (fatima's risk-team) gets a debug container:
 * kubectl shows it under the pod's ephemeralContainers, and its terminal answers.
 * Screenshots of the terminal and the debug dialog in every language go to
 * .k2/test-results/screenshots, as views.test.ts writes its own.
 */
test.describe.configure({ mode: 'serial' });

const SCREENSHOTS = path.resolve(
  __dirname,
  '../../../.k2/test-results/screenshots',
);
const PAYMENT_GATEWAY = '/catalog/default/component/payment-gateway/deploy';
const CHARGEBACK = '/catalog/default/component/chargeback-service/deploy';
const [en] = LANGUAGES;

/** The service's live pods in an environment's cluster, by kubectl. */
function runningPods(
  cluster: string,
  namespace: string,
  service: string,
): string[] {
  return kubectl(
    cluster,
    namespace,
    'get',
    'pods',
    '-l',
    `k2.io/service=${service}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.metadata.deletionTimestamp}{"\\n"}{end}',
  )
    .split('\n')
    .map(l => l.trim().split(' '))
    .filter(parts => parts.length === 2 && parts[1] === 'Running')
    .map(([name]) => name);
}

/**
 * Opens the drawer of `pod` in `cluster` on the Instances view of a service's Deploy
 * tab, by its link (`?instance=<environment>/<cluster>/<pod>`): the seeded pods of a
 * service have the same names in both production clusters.
 */
async function openInstance(
  page: Page,
  tab: string,
  address: { environment: string; cluster: string; pod: string },
  say: Words = en,
): Promise<Locator> {
  const { environment, cluster, pod } = address;
  await page.goto(`${tab}/instances?instance=${environment}/${cluster}/${pod}`);
  const panel = page.getByRole('region', {
    name: say.deploy('instance.label', { pod }),
  });
  await expect(
    panel.getByRole('table', { name: say.deploy('instance.containers') }),
  ).toBeVisible({ timeout: 60_000 });
  return panel;
}

/**
 * Waits until the drawer knows the environment's shell policy (its answer arrived and
 * the page drew it), so the absence of a button means the policy hides it.
 */
async function policyRead(
  page: Page,
  environment: string,
  open: () => Promise<unknown>,
) {
  const answer = page.waitForResponse(
    r =>
      r.url().endsWith(`/environments/${environment}/shell`) &&
      r.request().method() === 'GET',
  );
  await open();
  const response = await answer;
  expect(response.status()).toBe(200);
  return response.json();
}

/**
 * Signs in as a catalog user the development sign-in page has no button for (fatima,
 * of risk-team), through its "Someone else" form.
 */
async function signInAs(page: Page, user: string): Promise<Page> {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Catalog user name' }).fill(user);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText(/Owned Components \(\d+\)/)).toBeVisible({
    timeout: 60_000,
  });
  return page;
}

/** A screenshot of the page into the screenshots folder, MUI's fade-ins finished. */
const screenshot = (page: Page, name: string) =>
  page.screenshot({
    path: path.join(SCREENSHOTS, name),
    animations: 'disabled',
  });

/** Types a command line into the terminal, as a user at the keyboard does. */
async function run(page: Page, terminal: Locator, line: string) {
  await terminal.click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/** What the terminal shows, as drawn (its rows, line by line). */
const screenText = (terminal: Locator) =>
  terminal.evaluate(e => (e as HTMLElement).innerText);

test('alice opens a shell into payment-gateway in test, runs ls and env, closes it; Activity records the commands', async ({
  newPage,
}) => {
  test.setTimeout(240_000);
  const [pod] = runningPods('test', 'payments-core', 'payment-gateway');
  expect(pod).toBeTruthy();
  const page = await newPage('alice');
  const panel = await openInstance(page, PAYMENT_GATEWAY, {
    environment: 'test',
    cluster: 'test',
    pod,
  });

  await panel
    .getByRole('button', { name: 'Open a shell in payment-gateway' })
    .click();
  const dialog = page.getByRole('dialog', {
    name: `Shell in ${pod} / payment-gateway`,
  });
  await expect(dialog.getByRole('status')).toHaveText('Connected');
  await expect(dialog).toContainText(
    `Test · cluster test · pod ${pod} · container payment-gateway`,
  );
  const terminal = dialog.getByRole('group', {
    name: 'Terminal of payment-gateway',
  });
  // The prompt of a shell running as uid 1000 (not root).
  await expect.poll(() => screenText(terminal)).toMatch(/\$\s*$/);

  await run(page, terminal, 'ls');
  await expect
    .poll(() => screenText(terminal))
    .toMatch(/\$ ls[ \u00a0]*\n.*\bapp\b/);
  await run(page, terminal, 'env');
  // The container's own environment: its hostname is the pod's name.
  await expect.poll(() => screenText(terminal)).toContain(`HOSTNAME=${pod}`);
  await expect
    .poll(() => screenText(terminal))
    .toMatch(/\nPATH=\/usr\/local\/sbin:/);
  await screenshot(page, 'shell-terminal.en.png');

  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // The service's activity log: the session's entry with the commands typed.
  // Who may read the sessions is the permission framework's answer: the page asks
  // for them only then.
  const sessionRequests: string[] = [];
  page.on('request', r => {
    if (r.url().includes('/api/k2-deploy/shell-sessions')) {
      sessionRequests.push(r.url());
    }
  });
  await page.goto(`${PAYMENT_GATEWAY}/activity`);
  await expect(
    page
      .getByRole('row')
      .filter({ hasText: `Shell session in ${pod}/payment-gateway` })
      .filter({ hasText: 'ls; env' })
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  // alice is no platform admin: the session list is not hers to read.
  expect(sessionRequests).toEqual([]);
  await expect(page.getByRole('table', { name: 'Shell sessions' })).toHaveCount(
    0,
  );

  // A platform admin reads the session and its commands.
  const admin = await newPage('dave');
  await admin.goto(`${PAYMENT_GATEWAY}/activity`);
  const sessions = admin.getByRole('table', { name: 'Shell sessions' });
  const row = sessions
    .getByRole('row')
    .filter({ hasText: `${pod} / payment-gateway` })
    .first();
  await expect(row).toContainText('Shell', { timeout: 60_000 });
  await expect(row).toContainText('The session was closed.');
  await row.getByRole('button', { name: '2 commands' }).click();
  const commands = sessions.getByRole('list', {
    name: `Commands typed in ${pod} / payment-gateway`,
  });
  await expect(commands.getByRole('listitem')).toHaveCount(2);
  await expect(commands.getByRole('listitem').nth(0)).toContainText('ls');
  await expect(commands.getByRole('listitem').nth(1)).toContainText('env');
});

test('bob, of another team, has no Shell button and the API refuses him; Production has no Shell button', async ({
  newPage,
  request,
}) => {
  test.setTimeout(180_000);
  const [pod] = runningPods('test', 'payments-core', 'payment-gateway');
  const bob = await newPage('bob');
  const policy = await policyRead(bob, 'test', () =>
    openInstance(bob, PAYMENT_GATEWAY, {
      environment: 'test',
      cluster: 'test',
      pod,
    }),
  );
  expect(policy.shell.allowed).toBe(false);
  const panel = bob.getByRole('region', { name: `Instance ${pod}` });
  await expect(
    panel.getByRole('button', { name: /^Open a shell/ }),
  ).toHaveCount(0);
  await expect(
    panel.getByRole('button', { name: /^Start a debug container/ }),
  ).toHaveCount(0);

  const token = await tokenFor(request, 'bob');
  const instance = `${BACKEND}/api/k2-deploy/services/default/payment-gateway/environments/test/instances/test/${pod}`;
  const shell = await request.post(`${instance}/shell`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { container: 'payment-gateway' },
  });
  expect(shell.status()).toBe(403);
  const debug = await request.post(`${instance}/debug`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { image: 'busybox', target: 'payment-gateway' },
  });
  expect(debug.status()).toBe(403);

  // Production: not even for the service's owners.
  const [prodPod] = runningPods('prod-a', 'payments-core', 'payment-gateway');
  expect(prodPod).toBeTruthy();
  const alice = await newPage('alice');
  const prodPolicy = await policyRead(alice, 'prod', () =>
    openInstance(alice, PAYMENT_GATEWAY, {
      environment: 'prod',
      cluster: 'prod-a',
      pod: prodPod,
    }),
  );
  expect(prodPolicy.shell.allowed).toBe(false);
  const prodPanel = alice.getByRole('region', { name: `Instance ${prodPod}` });
  await expect(
    prodPanel.getByRole('button', { name: /^Open a shell/ }),
  ).toHaveCount(0);
});

test('a crash-looping pod gets a debug container: kubectl shows it under ephemeralContainers, and its terminal answers', async ({
  newPage,
}) => {
  test.setTimeout(300_000);
  // A pod of chargeback-service (risk-team) whose app container crashes every few
  // seconds: the sandbox crash-loops an image whose tag says `crashloop`. Labelled as
  // K2 labels the service's pods, without the Deployment's selector labels, so no
  // ReplicaSet takes it over.
  const pod = `chargeback-service-e2e-${Date.now().toString(36)}`;
  const k = (...args: string[]) => kubectl('test', 'risk-control', ...args);
  k(
    'run',
    pod,
    '--image=registry.northwind.example/risk-control/chargeback-service:e2e-crashloop',
    '--restart=Always',
    '--labels=k2.io/service=chargeback-service,backstage.io/kubernetes-id=chargeback-service',
  );
  try {
    await expect
      .poll(
        () =>
          k(
            'get',
            'pod',
            pod,
            '-o',
            'jsonpath={.status.containerStatuses[0].state.waiting.reason}',
          ),
        { timeout: 120_000, intervals: [2000] },
      )
      .toBe('CrashLoopBackOff');

    const page = await signInAs(await newPage(), 'fatima');
    const panel = await openInstance(page, CHARGEBACK, {
      environment: 'test',
      cluster: 'test',
      pod,
    });
    await panel
      .getByRole('button', { name: `Start a debug container for ${pod}` })
      .click();
    const ask = page.getByRole('dialog', {
      name: `Start a debug container in ${pod}?`,
    });
    await expect(ask).toContainText('busybox (busybox:1.36)');
    await expect(ask).toContainText('BusyBox shell and tools');
    await screenshot(page, 'shell-debug-dialog.en.png');

    await ask.getByRole('button', { name: 'Start debug container' }).click();
    const dialog = page.getByRole('dialog', {
      name: new RegExp(`^Debug container k2-debug-\\S+ in ${pod}$`),
    });
    await expect(dialog.getByRole('status')).toHaveText('Connected', {
      timeout: 90_000,
    });
    const title = await dialog.getByRole('heading').first().innerText();
    const container = /Debug container (k2-debug-\S+) in/.exec(title)![1];
    const terminal = dialog.getByRole('group', {
      name: `Terminal of ${container}`,
    });
    await run(page, terminal, 'id');
    // Debug containers run as the configured non-root user.
    await expect.poll(() => screenText(terminal)).toMatch(/uid=1000\b/);

    const spec = JSON.parse(k('get', 'pod', pod, '-o', 'json')).spec;
    expect(spec.ephemeralContainers).toEqual([
      expect.objectContaining({
        name: container,
        image: 'busybox:1.36',
        targetContainerName: pod,
        securityContext: expect.objectContaining({
          runAsUser: 1000,
          runAsNonRoot: true,
        }),
      }),
    ]);
    const yaml = k('get', 'pod', pod, '-o', 'yaml');
    expect(yaml).toContain('ephemeralContainers:');
    expect(yaml).toContain(`name: ${container}`);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  } finally {
    k('delete', 'pod', pod, '--wait=false');
  }
});

test('in Chinese: 1440×900 screenshots of an open shell and of the debug dialog', async ({
  newPage,
}) => {
  test.setTimeout(180_000);
  const zh = LANGUAGES.find(l => l.language === 'zh')!;
  const [pod] = runningPods('test', 'payments-core', 'payment-gateway');
  const page = await newPage('alice', { locale: 'zh-CN' });
  // The language Settings keeps (localStorage `language`), as views.test.ts picks it.
  await page.evaluate(() => localStorage.setItem('language', 'zh'));
  const panel = await openInstance(
    page,
    PAYMENT_GATEWAY,
    { environment: 'test', cluster: 'test', pod },
    zh,
  );
  await panel
    .getByRole('button', {
      name: zh.deploy('shell.openLabel', { container: 'payment-gateway' }),
    })
    .click();
  const dialog = page.getByRole('dialog', {
    name: zh.deploy('shell.title', { pod, container: 'payment-gateway' }),
  });
  await expect(dialog.getByRole('status')).toHaveText(
    zh.deploy('shell.connected'),
  );
  const terminal = dialog.getByRole('group', {
    name: zh.deploy('shell.terminal', { container: 'payment-gateway' }),
  });
  await run(page, terminal, 'ls');
  await expect
    .poll(() => screenText(terminal))
    .toMatch(/\$ ls[ \u00a0]*\n.*\bapp\b/);
  await screenshot(page, 'shell-terminal.zh.png');
  await dialog.getByRole('button', { name: zh.deploy('shell.close') }).click();
  await expect(dialog).toBeHidden();

  await panel
    .getByRole('button', {
      name: zh.deploy('shell.debugLabel', { container: 'payment-gateway' }),
    })
    .click();
  const ask = page.getByRole('dialog', {
    name: zh.deploy('shell.debugDialog.title', { pod }),
  });
  await expect(ask).toContainText('busybox (busybox:1.36)');
  await screenshot(page, 'shell-debug-dialog.zh.png');
  // Not started: Escape closes the dialog and nothing changes in the pod.
  await page.keyboard.press('Escape');
  await expect(ask).toBeHidden();
  expect(
    kubectl('test', 'payments-core', 'get', 'pod', pod, '-o', 'json'),
  ).not.toContain('ephemeralContainers');
});
