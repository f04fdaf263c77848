#!/usr/bin/env node
// Seeds the demo portal with release history through K2's own API, as its users would
// make it: releases to test, a release that fails (a crash loop) and its rollback, a
// production release approved by a release approver, and one still waiting for
// approval. A newcomer then sees history, diffs and approvals on first open.
//
//   node scripts/demo-releases.mjs [backend URL]   (default http://localhost:7007)
//
// Needs the development sign-in (k2.devSignIn) and the sandbox clusters. K2 releases
// only images its registry holds, so each tag is pushed to the local registry first
// (K2_DEMO_REGISTRY_URL, default http://127.0.0.1:7104, which `./k2 start` serves) with
// `k2-sandbox-registry push`; the registry's seeding already has most of them, not the
// crash-looping one. A service that
// already has releases is left as it is, so running it again changes nothing. Services
// the plan does not name keep their unreleased workloads, which owners can adopt.

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const backend = (process.argv[2] ?? 'http://localhost:7007').replace(/\/$/, '');
const api = `${backend}/api/k2-deploy`;
const registryUrl = process.env.K2_DEMO_REGISTRY_URL ?? 'http://127.0.0.1:7104';
const pushCli = join(
  dirname(fileURLToPath(import.meta.url)),
  '../packages/sandbox-cluster/bin/k2-sandbox-registry',
);

/** Who releases which service (a member of its owning team), and who approves. */
const plan = [
  { service: 'payment-gateway', requester: 'alice', story: 'full' },
  { service: 'ledger-service', requester: 'tomasz', story: 'full' },
  { service: 'storefront-web', requester: 'bob', story: 'short' },
  { service: 'cart-service', requester: 'amara', story: 'short' },
];
const APPROVER = 'carol';

const tokens = new Map();
async function tokenFor(user) {
  if (!tokens.has(user)) {
    const response = await fetch(
      `${backend}/api/auth/k2-dev/refresh?env=development`,
      {
        headers: {
          'x-k2-dev-user': `user:default/${user}`,
          'x-requested-with': 'XMLHttpRequest',
        },
      },
    );
    if (!response.ok) {
      throw Object.assign(
        new Error(
          `Signing in as ${user} failed (${
            response.status
          }): ${await response.text()}`,
        ),
        { status: response.status },
      );
    }
    tokens.set(user, (await response.json()).backstageIdentity.token);
  }
  return tokens.get(user);
}

async function call(user, method, path, body) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await tokenFor(user)}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) {
    throw Object.assign(
      new Error(`${method} ${path} as ${user}: ${response.status} ${text}`),
      { status: response.status },
    );
  }
  return text ? JSON.parse(text) : undefined;
}

/**
 * ./k2 start runs this once the backend is ready, which can be before the catalog has
 * ingested the demo entities: sign-in and a service then answer 404 for a few seconds.
 */
async function whenCatalogHolds(request) {
  const deadline = Date.now() + 3 * 60_000;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (error.status !== 404 || Date.now() > deadline) throw error;
    }
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

const settled = new Set([
  'pending-approval',
  'succeeded',
  'failed',
  'timed-out',
  'rejected',
  'cancelled',
  'expired',
]);

/** Polls a release until it stops moving (or waits for approval). */
async function settle(user, release) {
  const deadline = Date.now() + 5 * 60_000;
  let current = release;
  while (!settled.has(current.status)) {
    if (Date.now() > deadline) {
      throw new Error(
        `Release ${current.id} still ${current.status} after 5 min`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
    current = await call(user, 'GET', `/releases/${current.id}`);
  }
  return current;
}

/** The tag of what runs in an environment now, from the runtime view. */
async function runningTag(user, service, environment) {
  const runtime = await call(
    user,
    'GET',
    `/services/default/${service}/runtime`,
  );
  const env = runtime.environments.find(e => e.name === environment);
  const image = env?.clusters
    .flatMap(c => c.workloads)
    .flatMap(w => w.images)
    .find(Boolean);
  const tag = image?.slice(image.lastIndexOf(':') + 1);
  return /^\d+\.\d+\.\d+$/.test(tag ?? '') ? tag : '1.0.0';
}

const bump = (version, part) => {
  const [major, minor, patch] = version.split('.').map(Number);
  return part === 'minor'
    ? `${major}.${minor + 1}.0`
    : `${major}.${minor}.${patch + 1}`;
};

/** The service's image repository, e.g. `registry.northwind.example/payments/ledger`. */
async function repositoryOf(user, service) {
  const defaults = await call(
    user,
    'GET',
    `/services/default/${service}/environments/test/release-defaults`,
  );
  return defaults.imageRepository;
}

/**
 * Pushes the tags to the local registry, as a build would, so their releases find
 * them. Pushing a tag the registry has already changes nothing.
 */
async function pushTags(repository, tags) {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      pushCli,
      'push',
      '--url',
      registryUrl,
      ...tags.map(tag => `${repository}:${tag}`),
    ]);
    log(stdout.trim());
  } catch (error) {
    // Without the local registry K2 lists none and checks no image: release anyway.
    log(`tags not pushed to ${registryUrl}: ${error.message.split('\n')[0]}`);
  }
}

async function release(user, service, environment, tag, message) {
  const created = await call(
    user,
    'POST',
    `/services/default/${service}/releases`,
    { environment, image: tag, message },
  );
  const done = await settle(user, created);
  log(
    `${service} ${environment} #${done.number ?? done.id} ${tag}: ${
      done.status
    }`,
  );
  return done;
}

function log(line) {
  process.stdout.write(`[demo] ${line}\n`);
}

async function seed({ service, requester, story }) {
  // Signing in answers 404 until the catalog holds the user, and the runtime view
  // until it holds the service (the release list answers an empty page).
  await whenCatalogHolds(() =>
    call(requester, 'GET', `/services/default/${service}/runtime`),
  );
  const history = await call(
    requester,
    'GET',
    `/services/default/${service}/releases?limit=1`,
  );
  if (history.items.length > 0) {
    log(`${service} already has releases; left as it is`);
    return;
  }
  const base = await runningTag(requester, service, 'test');
  const fix = bump(base, 'patch');
  const feature = bump(base, 'minor');
  const crashloop = `${bump(feature, 'patch')}-crashloop`;
  const prodFix = bump(await runningTag(requester, service, 'prod'), 'patch');
  await pushTags(await repositoryOf(requester, service), [
    fix,
    feature,
    ...(story === 'full' ? [crashloop] : []),
    prodFix,
  ]);
  await release(
    requester,
    service,
    'test',
    fix,
    'Retry provider timeouts once',
  );
  const good = await release(
    requester,
    service,
    'test',
    feature,
    'New settlement report endpoint',
  );
  if (story === 'full') {
    // The sandbox's kubelet crash-loops images whose tag says so.
    const broken = await release(
      requester,
      service,
      'test',
      crashloop,
      'Switch to the new connection pool',
    );
    if (broken.status === 'failed' || broken.status === 'timed-out') {
      const back = await call(
        requester,
        'POST',
        `/releases/${good.id}/rollback`,
        {
          message:
            'Connection pool exhausts on start; back to the last good build',
        },
      );
      await settle(requester, back);
      log(`${service} test rolled back to ${feature}`);
    }
  }
  // Production: one release approved by a release approver, one still waiting.
  const approved = await release(
    requester,
    service,
    'prod',
    prodFix,
    'Retry provider timeouts once',
  );
  if (approved.status === 'pending-approval') {
    await call(APPROVER, 'POST', `/releases/${approved.id}/approve`, {});
    const done = await settle(requester, { ...approved, status: 'applying' });
    log(`${service} prod approved by ${APPROVER}: ${done.status}`);
  }
  if (story === 'full') {
    await release(
      requester,
      service,
      'prod',
      feature,
      'New settlement report endpoint',
    );
  }
}

const results = await Promise.allSettled(plan.map(seed));
const failures = results.filter(r => r.status === 'rejected');
for (const failure of failures) {
  process.stderr.write(`[demo] ${failure.reason.message ?? failure.reason}\n`);
}
process.exit(failures.length ? 1 : 0);
