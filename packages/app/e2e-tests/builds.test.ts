import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';

/**
 * Issue 21 end to end: alice creates a Node.js service from the New K2 service
 * template; the portal publishes it to the end-to-end Git server (7118), registers it,
 * builds it with buildah into the end-to-end registry (7114) and releases it to test.
 * Then a push with git builds and releases it again through the signed webhook. One
 * story, in order, on a service of its own (a new name each run).
 *
 * `./k2 test e2e` sets K2_E2E_GIT_DIR (the Git server's directory, with its credential
 * store file) where builds can run: buildah, busybox-static and the base images.
 */
test.describe.configure({ mode: 'serial' });

const GIT_DIR = process.env.K2_E2E_GIT_DIR;
const REGISTRY_URL = process.env.K2_E2E_REGISTRY_URL ?? 'http://127.0.0.1:7104';
const GIT_URL = 'http://127.0.0.1:7118';

const NAME = `hello-${Date.now().toString(36)}`;
const TEAM = 'payments-team';
const NAMESPACE = 'payments-core';
const REPOSITORY = `${NAMESPACE}/${NAME}`;
const ENTITY = `/catalog/default/component/${NAME}`;
const BUILDS_API = `${BACKEND}/api/k2-builds/services/default/${NAME}/builds`;

test.skip(
  !GIT_DIR,
  'no end-to-end Git server or buildah (./k2 test e2e sets K2_E2E_GIT_DIR where builds can run)',
);

interface Build {
  number: number;
  status: string;
  trigger: string;
  image: string;
  imageDigest?: string;
  commit?: string;
  release?: { id: string; number: number; environment: string };
}

async function builds(request: APIRequestContext): Promise<Build[]> {
  const token = await tokenFor(request, 'alice');
  const res = await request.get(BUILDS_API, {
    headers: { Authorization: `Bearer ${token}` },
  });
  // Not in the catalog yet: nothing built.
  if (res.status() === 404) return [];
  expect(res.ok(), await res.text()).toBe(true);
  return (await res.json()).items;
}

/** The digest the registry answers for `repository:tag` (its Docker-Content-Digest). */
async function registryDigest(
  request: APIRequestContext,
  reference: string,
): Promise<string | undefined> {
  const [, repository, tag] = reference.match(/^[^/]+\/(.+):([^:/]+)$/)!;
  const res = await request.head(
    `${REGISTRY_URL}/v2/${repository}/manifests/${tag}`,
    {
      headers: {
        Accept: [
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
        ].join(', '),
      },
    },
  );
  if (res.status() === 404) return undefined;
  expect(res.status()).toBe(200);
  return res.headers()['docker-content-digest'];
}

/** What kubectl says runs in test: the images of the service's live pods. */
function podImages(): string[] {
  // Terminating pods print their deletion time first; live ones start with '|'.
  return kubectl(
    'test',
    NAMESPACE,
    'get',
    'pods',
    '-l',
    `k2.io/service=${NAME}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.deletionTimestamp}|{.spec.containers[0].image}{"\\n"}{end}',
  )
    .split('\n')
    .filter(line => line.startsWith('|'))
    .map(line => line.slice(1))
    .sort();
}

/** A build's drawer on the Builds tab, opened from its row. */
async function openBuild(page: Page, number: number) {
  await page.goto(`${ENTITY}/builds`);
  const row = page
    .getByRole('table', { name: 'History' })
    .getByRole('row')
    .filter({
      has: page.getByRole('cell', { name: `#${number}`, exact: true }),
    });
  await expect(row).toBeVisible({ timeout: 60_000 });
  await row.getByRole('cell', { name: `#${number}`, exact: true }).click();
  const drawer = page.getByRole('dialog', { name: `Build #${number}` });
  await expect(drawer).toBeVisible();
  return drawer;
}

/** git, as a developer runs it, with the Git server's credential store. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      `credential.helper=store --file=${path.join(
        GIT_DIR!,
        '.git-credentials',
      )}`,
      '-c',
      'user.name=Alice',
      '-c',
      'user.email=alice@northwind.example',
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    },
  );
}

test('alice creates a Node.js service from the template: registered with its owner, built with its log streaming, pushed and released to test', async ({
  newPage,
  request,
}) => {
  test.setTimeout(900_000);
  const alice = await newPage('alice');

  // Create → the template → its four pages of parameters → Create.
  await alice.goto('/create');
  // The innermost box holding both the template's title and its Choose button.
  const card = alice
    .locator('div')
    .filter({ has: alice.getByText('New K2 service', { exact: true }) })
    .filter({ has: alice.getByRole('button', { name: 'Choose' }) })
    .last();
  await card.getByRole('button', { name: 'Choose' }).click();

  // Required fields' labels end in an asterisk.
  await alice.getByLabel(/^Name\b/).fill(NAME);
  await alice
    .getByLabel(/^Description\b/)
    .fill('Says hello; created by the builds end-to-end test');
  // Two groups are titled Payments (the department and the team): alice names the
  // team by its entity reference, which the owner field takes as typed.
  const owner = alice.getByLabel(/^Owner\b/);
  await owner.fill(`group:default/${TEAM}`);
  await owner.press('Tab');
  // Node.js and port 8080 are the template's defaults.
  await alice.getByRole('button', { name: 'Next' }).click();

  await alice.getByLabel(/^Kubernetes namespace\b/).fill(NAMESPACE);
  await alice.getByRole('button', { name: 'Next' }).click();

  await alice.getByLabel(/^Repository owner\b/).fill(TEAM);
  await alice.getByRole('button', { name: 'Next' }).click();

  // No alert rules: the Alerts specs count what payments-team is notified of.
  await alice.getByLabel(/^Default alert rules\b/).uncheck();
  await alice.getByRole('button', { name: 'Review' }).click();
  await alice.getByRole('button', { name: 'Create' }).click();
  await expect(alice).toHaveURL(/\/create\/tasks\//);

  // While the template's build step runs (some 20 s), its log streams in the Builds
  // tab: its drawer, opened as soon as the build exists, follows lines as they come.
  const tab = await alice.context().newPage();
  await expect
    .poll(async () => (await builds(request)).length, {
      timeout: 300_000,
      intervals: [500],
    })
    .toBe(1);
  await tab.goto(`${ENTITY}/builds?build=1`);
  const drawer = tab.getByRole('dialog', { name: 'Build #1' });
  // "Following" only while the build runs (a finished one says "N lines").
  await expect(drawer.getByRole('status')).toHaveText(
    /^Following: [1-9]\d* lines?$/,
    { timeout: 120_000 },
  );
  await expect(drawer.getByLabel('Log of build #1')).toContainText(
    /STEP \d+\/\d+: FROM /,
  );

  // The template ends with its catalog link once built and released; it opens the
  // service, owned by payments-team, which alice's own components now list.
  const open = alice.getByRole('link', { name: 'Open in the catalog' });
  await expect(open).toBeVisible({ timeout: 600_000 });
  await open.click();
  await expect(alice).toHaveURL(new RegExp(ENTITY));
  await expect(alice.getByRole('link', { name: TEAM }).first()).toBeVisible();
  await alice.goto('/');
  await expect(
    alice.getByRole('link', { name: NAME, exact: true }),
  ).toBeVisible({ timeout: 60_000 });

  // Build 1 succeeded; the registry answers the digest the Builds tab shows.
  const [first] = await builds(request);
  expect(first).toMatchObject({
    number: 1,
    status: 'succeeded',
    trigger: 'scaffolder',
  });
  const shown = await openBuild(tab, 1);
  await expect(shown.getByRole('status')).toHaveText(/^\d+ lines?$/);
  const copy = shown.getByRole('button', { name: /^Copy digest sha256:/ });
  await expect(copy).toBeVisible();
  const tabDigest = (await copy.getAttribute('aria-label'))!.replace(
    'Copy digest ',
    '',
  );
  await expect(shown.getByText(first.image, { exact: true })).toBeVisible();
  expect(first.image).toMatch(
    new RegExp(`^registry\\.northwind\\.example/${REPOSITORY}:[0-9a-f]{12}$`),
  );
  expect(await registryDigest(request, first.image)).toBe(tabDigest);
  expect(first.imageDigest).toBe(tabDigest);

  // Released to test by the template, with running instances on the Deploy tab.
  await tab.goto(`${ENTITY}/deploy/instances`);
  const live = tab.locator('table[aria-label="Live instances"]');
  await expect(
    live.getByRole('row').filter({ hasText: 'Running' }),
  ).toHaveCount(1, { timeout: 180_000 });
  expect(podImages()).toEqual([first.image]);
});

test('a push with git builds the service again and releases it; a bad signature gets 401', async ({
  newPage,
  request,
}) => {
  test.setTimeout(600_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'k2-e2e-push-'));
  try {
    git(work, 'clone', `${GIT_URL}/${TEAM}/${NAME}.git`, 'repo');
    const repo = path.join(work, 'repo');
    fs.appendFileSync(
      path.join(repo, 'README.md'),
      '\nA change pushed by the builds end-to-end test.\n',
    );
    git(repo, 'commit', '-am', 'Say more in the README');
    git(repo, 'push', 'origin', 'HEAD');
    const commit = git(repo, 'rev-parse', 'HEAD').trim();

    // The Git server's signed webhook starts build 2, of that commit.
    await expect
      .poll(async () => (await builds(request)).map(b => b.number), {
        timeout: 60_000,
        intervals: [1000],
      })
      .toContain(2);
    // Built, then released to test (k2.io/build-release) as the plugin.
    await expect
      .poll(
        async () => {
          const b = (await builds(request)).find(x => x.number === 2);
          return b && `${b.status} ${b.release?.environment ?? '-'}`;
        },
        { timeout: 420_000, intervals: [2000] },
      )
      .toBe('succeeded test');
    const second = (await builds(request)).find(b => b.number === 2)!;
    expect(second).toMatchObject({ trigger: 'webhook', commit });
    expect(second.image.endsWith(`:${commit.slice(0, 12)}`)).toBe(true);
    expect(await registryDigest(request, second.image)).toBe(
      second.imageDigest,
    );
    expect(second.release).toMatchObject({ number: 2, environment: 'test' });

    // The Builds tab shows the push and its release; the Deploy tab runs the new tag.
    const alice = await newPage('alice');
    await alice.goto(`${ENTITY}/builds`);
    const row = alice
      .getByRole('table', { name: 'History' })
      .getByRole('row')
      .filter({ has: alice.getByRole('cell', { name: '#2', exact: true }) });
    await expect(row).toContainText('Push');
    await expect(row).toContainText('Succeeded');
    await expect(row.getByText(/^Release #2 to /)).toBeVisible();
    await alice.goto(`${ENTITY}/deploy/instances`);
    await expect
      .poll(podImages, { timeout: 180_000, intervals: [2000] })
      .toEqual([second.image]);
    const live = alice.locator('table[aria-label="Live instances"]');
    await expect(
      live.getByRole('row').filter({ hasText: 'Running' }),
    ).toHaveCount(1, { timeout: 60_000 });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  // A push event whose signature is not the secret's: 401, and nothing is built.
  const before = (await builds(request)).length;
  const forged = await request.post(`${BACKEND}/api/k2-builds/webhooks/push`, {
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': `forged-${Date.now()}`,
      'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}`,
    },
    data: JSON.stringify({
      ref: 'refs/heads/main',
      after: 'f'.repeat(40),
      repository: {
        clone_url: `${GIT_URL}/${TEAM}/${NAME}.git`,
        default_branch: 'main',
      },
      pusher: { name: 'mallory' },
    }),
  });
  expect(forged.status()).toBe(401);
  expect((await builds(request)).length).toBe(before);
});

test('a release of a tag never pushed is refused with the registry’s message', async ({
  newPage,
  request,
  consoleEntries,
}) => {
  test.setTimeout(120_000);
  const alice = await newPage('alice');
  await alice.goto(`${ENTITY}/deploy`);
  const actions = alice.getByRole('group', { name: 'Actions in Test' });
  await actions.getByRole('button', { name: 'Release' }).click();
  const dialog = alice.getByRole('dialog');
  // A tag of the service's image that no build or push made.
  const tag = 'never-pushed';
  const image = `registry.northwind.example/${REPOSITORY}:${tag}`;
  await dialog.getByLabel('Image').fill(tag);
  await dialog.getByLabel('Message').fill('e2e: a tag nobody built');
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(
    dialog.getByText(
      `The image ${image} is not in the registry registry.northwind.example: build it or push it first`,
    ),
  ).toBeVisible();
  // Still the first step: nothing was previewed, so nothing can be released.
  await expect(dialog.getByRole('button', { name: 'Preview' })).toBeVisible();
  // The browser logs the preview's 400, which is this step's expected answer: taken
  // out of what the hygiene check reads, and only that one.
  const refusal = consoleEntries.findIndex(
    e =>
      e.kind === 'error' &&
      e.text.includes('status of 400') &&
      e.text.includes(
        `/api/k2-deploy/services/default/${NAME}/releases/preview`,
      ),
  );
  expect(refusal).toBeGreaterThanOrEqual(0);
  consoleEntries.splice(refusal, 1);

  // The API says the same to a direct release, and releases nothing.
  const token = await tokenFor(request, 'alice');
  const headers = { Authorization: `Bearer ${token}` };
  const releases = `${BACKEND}/api/k2-deploy/services/default/${NAME}/releases`;
  const refused = await request.post(releases, {
    headers,
    data: { environment: 'test', image: tag },
  });
  expect(refused.status()).toBe(400);
  expect((await refused.json()).error.message).toBe(
    `The image ${image} is not in the registry registry.northwind.example: build it or push it first`,
  );
  expect(podImages()).not.toContain(image);
});
