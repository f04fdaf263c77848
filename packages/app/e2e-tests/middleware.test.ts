import { APIRequestContext, Locator, Page } from '@playwright/test';
import { k2MiddlewareMessages as M } from '@internal/plugin-k2-middleware-store/src/translation';
import { expect, test } from './fixtures';
import { BACKEND, kubectl, tokenFor } from './k2';

/**
 * Issue 20's acceptance end to end, with every part real: alice (payments-team) creates
 * a Redis for payment-gateway in test from its Middleware tab and sees it become ready
 * (the sandbox runs its StatefulSet) and appear on the catalog graph as a dependency of
 * payment-gateway; she binds it and releases payment-gateway from the Deploy tab, and
 * kubectl shows the Deployment's env vars referencing the binding's Secret through
 * `secretKeyRef`. A production MySQL she asks for waits for an approver; carol (a
 * release approver) approves it and it is created in prod-a. bob (storefront-team) has
 * no create or delete button that works, and the API refuses him.
 *
 * The instances' names are new on every run (a deleted instance's name stays taken
 * while its backup is kept); afterwards the Redis is unbound, payment-gateway released
 * again without its env vars, and both instances deleted. The spec releases
 * payment-gateway, which read-only specs look at, so it runs after them (its own
 * project in playwright.config.ts).
 */
test.describe.configure({ mode: 'serial' });

const SERVICE = 'payment-gateway';
const NAMESPACE = 'payments-core';
const TAB = `/catalog/default/component/${SERVICE}/middleware`;
const DEPLOY = `/catalog/default/component/${SERVICE}/deploy`;
const API = `${BACKEND}/api/k2-middleware-store`;
const RUN = Date.now().toString(36);
const REDIS = `e2e-cache-${RUN}`;
const MYSQL = `e2e-db-${RUN}`;
/** The Secret a binding copies into the bound service's namespace. */
const BINDING_SECRET = `k2-mw-${REDIS}`;

/** A message with its `{{placeholders}}` filled, as the app fills them. */
const fill = (message: string, values: Record<string, string>) =>
  message.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => values[name]);

interface Instance {
  id: string;
  name: string;
  state: string;
  environment: string;
  cluster: string;
  bindings: string[];
  entityRef: string;
}

/** The Middleware store API as a user, through the portal's backend. */
async function asUser(request: APIRequestContext, user: string) {
  const headers = { authorization: `Bearer ${await tokenFor(request, user)}` };
  return {
    headers,
    async instances(): Promise<Instance[]> {
      const response = await request.get(
        `${API}/services/default/${SERVICE}/instances`,
        { headers },
      );
      expect(response.status()).toBe(200);
      return (await response.json()).items;
    },
    async instance(name: string): Promise<Instance | undefined> {
      return (await this.instances()).find(i => i.name === name);
    },
  };
}

/** The env of payment-gateway's container in the test cluster, as kubectl shows it. */
function deploymentEnv(): Array<{
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}> {
  const deployment = JSON.parse(
    kubectl('test', NAMESPACE, 'get', 'deployment', SERVICE, '-o', 'json'),
  );
  return deployment.spec.template.spec.containers[0].env ?? [];
}

/** The image payment-gateway runs in test, so releasing it again changes nothing else. */
function runningImage(): string {
  return kubectl(
    'test',
    NAMESPACE,
    'get',
    'deployment',
    SERVICE,
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ).trim();
}

/** Releases payment-gateway in test through the Deploy API and waits for the rollout. */
async function releaseThroughApi(request: APIRequestContext, user: string) {
  const headers = { authorization: `Bearer ${await tokenFor(request, user)}` };
  const created = await request.post(
    `${BACKEND}/api/k2-deploy/services/default/${SERVICE}/releases`,
    {
      headers,
      data: {
        environment: 'test',
        image: runningImage(),
        message: 'e2e: middleware spec cleanup',
      },
    },
  );
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
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

/** The Middleware tab's row of an instance. */
const row = (page: Page, name: string) =>
  page
    .getByRole('table', { name: fill(M.tab.title, { service: SERVICE }) })
    .getByRole('row', { name: fill(M.table.open, { name }) });

/**
 * The Status row of an instance's drawer: the state, as its chip says it. (MUI gives
 * the row's `th` the role cell.)
 */
const statusRow = (drawer: Locator) =>
  drawer.getByRole('row').filter({
    has: drawer
      .page()
      .getByRole('cell', { name: M.drawer.status, exact: true }),
  });

/** Opens an instance's drawer from the Middleware tab; resolves to the drawer. */
async function openInstance(page: Page, name: string) {
  await page.goto(TAB);
  await row(page, name).click();
  const drawer = page.getByRole('dialog', { name, exact: true });
  await expect(drawer).toBeVisible();
  return drawer;
}

/** Creates an instance from the Middleware tab's dialog, as its user would. */
async function createFromTab(
  page: Page,
  options: {
    product: RegExp;
    environment: string;
    name: string;
    reason?: string;
  },
) {
  await page.goto(TAB);
  await page.getByRole('button', { name: M.tab.create }).click();
  const dialog = page.getByRole('dialog', {
    name: fill(M.create.chooseTitle, { service: SERVICE }),
  });
  // MUI selects are buttons named by their label and the value they show.
  await dialog
    .getByRole('button', { name: new RegExp(`^${M.create.template}`) })
    .click();
  await page.getByRole('option', { name: options.product }).click();
  await dialog
    .getByRole('button', { name: new RegExp(`^${M.create.environment}`) })
    .click();
  await page.getByRole('option', { name: options.environment }).click();
  await dialog
    .getByRole('textbox', { name: M.create.name, exact: true })
    .fill(options.name);
  if (options.reason) {
    await dialog
      .getByRole('textbox', { name: M.create.reason })
      .fill(options.reason);
  }
  return dialog;
}

test('an owner creates a Redis for payment-gateway in test and sees it become ready and a dependency in the catalog', async ({
  newPage,
  request,
}) => {
  test.setTimeout(240_000);
  const alice = await newPage('alice');
  const dialog = await createFromTab(alice, {
    product: /^Redis 7/,
    environment: 'Test',
    name: REDIS,
  });
  await expect(dialog.getByRole('note')).toHaveText(
    fill(M.create.immediate, { environment: 'Test' }),
  );
  await dialog.getByRole('button', { name: M.create.confirm }).click();
  await expect(dialog).toBeHidden();

  // Its drawer opens, and follows the sandbox's StatefulSet until every replica is
  // ready; so does its row once the drawer is closed.
  const drawer = alice.getByRole('dialog', { name: REDIS, exact: true });
  await expect(statusRow(drawer)).toContainText(M.state.ready, {
    timeout: 120_000,
  });
  await drawer.getByRole('button', { name: M.drawer.close }).click();
  await expect(row(alice, REDIS)).toContainText(M.state.ready);
  const created = await (await asUser(request, 'alice')).instance(REDIS);
  expect(created).toMatchObject({
    state: 'ready',
    environment: 'test',
    cluster: 'test',
    entityRef: `resource:default/test-${REDIS}`,
  });
  const statefulSets = JSON.parse(
    kubectl(
      'test',
      NAMESPACE,
      'get',
      'statefulsets',
      '-l',
      `k2.io/middleware=${REDIS}`,
      '-o',
      'json',
    ),
  ).items as Array<{
    metadata: { labels: Record<string, string> };
    status: { readyReplicas?: number; replicas: number };
  }>;
  expect(statefulSets.length).toBeGreaterThan(0);
  for (const sts of statefulSets) {
    expect(sts.status.readyReplicas).toBe(sts.status.replicas);
    // Never the service's label: the Deploy tab and Nginx upstreams skip middleware pods.
    expect(sts.metadata.labels['k2.io/service']).toBeUndefined();
  }

  // The catalog: a Resource payment-gateway depends on, on its graph.
  await expect
    .poll(
      async () => {
        const response = await request.get(
          `${BACKEND}/api/catalog/entities/by-name/resource/default/test-${REDIS}`,
          { headers: (await asUser(request, 'alice')).headers },
        );
        if (!response.ok()) return [];
        const entity = await response.json();
        return (entity.relations ?? []).map(
          (r: { type: string; targetRef: string }) =>
            `${r.type} ${r.targetRef}`,
        );
      },
      { timeout: 90_000, intervals: [2000] },
    )
    .toContain(`dependencyOf component:default/${SERVICE}`);
  // The overview's Relations card draws payment-gateway's neighbours: the Resource is
  // one, titled by the instance and its environment.
  await alice.goto(`/catalog/default/component/${SERVICE}`);
  await expect(
    alice.locator('svg text', { hasText: `${REDIS} (test)` }),
  ).toBeVisible({ timeout: 60_000 });
});

test('bob, of another team, cannot create or delete payment-gateway’s middleware, and the API refuses him', async ({
  newPage,
  request,
}) => {
  test.setTimeout(120_000);
  const bob = await newPage('bob');
  await bob.goto(TAB);
  await expect(row(bob, REDIS)).toBeVisible();
  await expect(bob.getByRole('button', { name: M.tab.create })).toBeDisabled();
  const drawer = await openInstance(bob, REDIS);
  await expect(
    drawer.getByRole('button', { name: M.actions.delete }),
  ).toBeDisabled();
  await expect(
    drawer.getByRole('button', {
      name: fill(M.actions.bind, { service: SERVICE }),
    }),
  ).toBeDisabled();
  await bob.context().close();

  const api = await asUser(request, 'bob');
  const create = await request.post(
    `${API}/services/default/${SERVICE}/instances`,
    {
      headers: api.headers,
      data: {
        environment: 'test',
        template: 'redis-7',
        name: `e2e-bob-${RUN}`,
      },
    },
  );
  expect(create.status()).toBe(403);
  const instance = (await api.instance(REDIS))!;
  const remove = await request.delete(`${API}/instances/${instance.id}`, {
    headers: api.headers,
  });
  expect(remove.status()).toBe(403);
  const connection = await request.get(
    `${API}/instances/${instance.id}/connection`,
    { headers: api.headers },
  );
  expect(connection.status()).toBe(403);
  expect((await api.instance(REDIS))!.state).toBe('ready');
  expect((await api.instance(`e2e-bob-${RUN}`)) ?? null).toBeNull();
});

test('the owner binds the Redis and releases payment-gateway: its Deployment reads the passwords from the binding’s Secret', async ({
  newPage,
  request,
}) => {
  test.setTimeout(300_000);
  const alice = await newPage('alice');
  const drawer = await openInstance(alice, REDIS);
  await drawer
    .getByRole('button', { name: fill(M.actions.bind, { service: SERVICE }) })
    .click();
  const bind = alice.getByRole('dialog', {
    name: fill(M.bind.title, { name: REDIS, service: SERVICE }),
  });
  await bind.getByRole('button', { name: M.bind.confirm }).click();
  await expect(bind).toBeHidden();
  await expect(
    drawer.getByRole('button', {
      name: fill(M.actions.unbind, { service: SERVICE }),
    }),
  ).toBeVisible();

  // What the next release receives: values, and keys of the binding's Secret.
  const api = await asUser(request, 'alice');
  const bindings = await request.get(
    `${API}/services/default/${SERVICE}/environments/test/bindings`,
    { headers: api.headers },
  );
  expect(bindings.status()).toBe(200);
  const item = (
    (await bindings.json()).items as Array<{
      instance: string;
      env: Array<{
        name: string;
        value?: string;
        secretKeyRef?: { name: string; key: string };
      }>;
    }>
  ).find(i => i.instance === REDIS)!;
  const secretEnv = item.env.filter(e => e.secretKeyRef);
  expect(secretEnv.length).toBeGreaterThan(0);
  for (const e of secretEnv) expect(e.secretKeyRef!.name).toBe(BINDING_SECRET);
  // The Secret is in payment-gateway's namespace where its pods run.
  const secret = JSON.parse(
    kubectl('test', NAMESPACE, 'get', 'secret', BINDING_SECRET, '-o', 'json'),
  );
  for (const e of secretEnv) {
    expect(Object.keys(secret.data)).toContain(e.secretKeyRef!.key);
  }

  // Release payment-gateway from the Deploy tab with the image it runs.
  const image = runningImage();
  await alice.goto(DEPLOY);
  const actions = alice.getByRole('group', { name: 'Actions in Test' });
  await actions.getByRole('button', { name: 'Release' }).click();
  const dialog = alice.getByRole('dialog');
  await dialog.getByLabel('Image').fill(image);
  await dialog.getByLabel('Message').fill(`e2e: bind ${REDIS}`);
  await dialog.getByRole('button', { name: 'Preview' }).click();
  await expect(dialog.getByRole('status')).toBeVisible();
  await dialog.getByRole('button', { name: 'Release' }).click();
  await expect(dialog).toBeHidden();

  // kubectl: the Deployment's env vars reference the binding's Secret, never a value.
  await expect
    .poll(() => deploymentEnv().filter(e => e.valueFrom?.secretKeyRef), {
      timeout: 120_000,
      intervals: [1000],
    })
    .toEqual(
      expect.arrayContaining(
        secretEnv.map(e =>
          expect.objectContaining({
            name: e.name,
            valueFrom: { secretKeyRef: e.secretKeyRef },
          }),
        ),
      ),
    );
  const env = deploymentEnv();
  for (const e of item.env.filter(v => v.value !== undefined)) {
    expect(env).toContainEqual(expect.objectContaining(e));
  }
  for (const e of secretEnv) {
    expect(env.find(v => v.name === e.name)?.value).toBeUndefined();
  }
  await expect
    .poll(
      () =>
        kubectl(
          'test',
          NAMESPACE,
          'rollout',
          'status',
          `deployment/${SERVICE}`,
          '--timeout=5s',
        ),
      { timeout: 120_000, intervals: [2000] },
    )
    .toMatch(/successfully rolled out/);
});

test('a production MySQL waits for an approver other than the requester, and is created once approved', async ({
  newPage,
  request,
}) => {
  test.setTimeout(300_000);
  const alice = await newPage('alice');
  const dialog = await createFromTab(alice, {
    product: /^MySQL 8/,
    environment: 'Production',
    name: MYSQL,
    reason: 'e2e: orders database',
  });
  await expect(dialog.getByRole('note')).toHaveText(
    fill(M.create.approval, { environment: 'Production' }),
  );
  await dialog.getByRole('button', { name: M.create.confirmApproval }).click();
  await expect(dialog).toBeHidden();
  // Its drawer opens: awaiting approval, which the requester is told others give.
  const own = alice.getByRole('dialog', { name: MYSQL, exact: true });
  await expect(statusRow(own)).toContainText(M.state['awaiting-approval']);
  const approval = own.getByRole('region', { name: M.drawer.approval });
  await expect(approval).toContainText(
    fill(M.drawer.waitingForOthers, { environment: 'Production' }),
  );
  await expect(
    approval.getByRole('button', { name: M.actions.approve }),
  ).toHaveCount(0);
  const waiting = (await (await asUser(request, 'alice')).instance(MYSQL))!;
  expect(waiting.state).toBe('awaiting-approval');
  // Nothing reaches the cluster before an approver decides.
  expect(
    kubectl(
      'prod-a',
      NAMESPACE,
      'get',
      'statefulsets',
      '-l',
      `k2.io/middleware=${MYSQL}`,
      '-o',
      'name',
    ).trim(),
  ).toBe('');
  // Nor can she approve it through the API.
  const selfApproval = await request.post(
    `${API}/instances/${waiting.id}/approve`,
    { headers: (await asUser(request, 'alice')).headers, data: {} },
  );
  expect(selfApproval.status()).toBe(403);
  await alice.context().close();

  const carol = await newPage('carol');
  const drawer = await openInstance(carol, MYSQL);
  await drawer.getByRole('button', { name: M.actions.approve }).click();
  const approve = carol.getByRole('dialog', {
    name: fill(M.approve.title, { name: MYSQL, environment: 'Production' }),
  });
  await approve
    .getByRole('textbox', { name: M.approve.comment })
    .fill('e2e: approved');
  await approve.getByRole('button', { name: M.approve.confirm }).click();
  await expect(approve).toBeHidden();

  // Created in the environment's first cluster by weight, and ready there.
  await expect(statusRow(drawer)).toContainText(M.state.ready, {
    timeout: 180_000,
  });
  const approved = (await (await asUser(request, 'carol')).instance(MYSQL))!;
  expect(approved).toMatchObject({ state: 'ready', cluster: 'prod-a' });
  expect(
    kubectl(
      'prod-a',
      NAMESPACE,
      'get',
      'statefulsets',
      '-l',
      `k2.io/middleware=${MYSQL}`,
      '-o',
      'name',
    ).trim(),
  ).not.toBe('');
});

/**
 * Puts payment-gateway back as the spec found it (no binding, a release without the
 * Redis's env vars, so no pod refers to the binding's Secret, which unbinding deletes)
 * and deletes both instances; each step only where it is still needed, so a run that
 * failed midway is cleaned up too.
 */
test.afterAll(async ({ playwright }) => {
  test.setTimeout(300_000);
  const request: APIRequestContext = await playwright.request.newContext();
  try {
    const alice = await asUser(request, 'alice');
    const redis = await alice.instance(REDIS);
    if (redis?.bindings.includes(`component:default/${SERVICE}`)) {
      const unbound = await request.delete(
        `${API}/instances/${redis.id}/bindings/default/${SERVICE}`,
        { headers: alice.headers },
      );
      expect(unbound.status()).toBe(200);
    }
    if (
      deploymentEnv().some(
        e => e.valueFrom?.secretKeyRef?.name === BINDING_SECRET,
      )
    ) {
      await releaseThroughApi(request, 'alice');
    }
    // A deleted instance is restorable for the retention days; one still awaiting
    // approval is withdrawn at once.
    for (const name of [REDIS, MYSQL]) {
      const instance = await alice.instance(name);
      if (!instance || ['deleting', 'deleted'].includes(instance.state)) {
        continue;
      }
      const deleted = await request.delete(`${API}/instances/${instance.id}`, {
        headers: alice.headers,
      });
      expect(deleted.status()).toBe(202);
    }
  } finally {
    await request.dispose();
  }
});
